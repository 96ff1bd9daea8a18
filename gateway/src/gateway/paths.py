"""One canonical form of a request path, so that the edge checks exactly the path the upstream gets.

The caller's raw path is decoded once here; what could decode differently further on (an encoded ``/``,
``\\`` or ``%``, dot segments, empty segments, control characters, Unicode look-alikes of ``/`` and
``.``, invalid UTF-8, malformed escapes) is refused with 400 instead of being guessed at. The public-route
check and the routing read the decoded path; the proxy sends that same path, re-encoded in one way
(:func:`encode`), so the upstream decodes it back to what was checked.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# RFC 3986 pchar and "/" as they may appear raw; anything else (space, "\", quotes, non-ASCII...) is refused.
_RAW_ALLOWED = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*\Z")
_ESCAPE = re.compile(rb"%(.{0,2})", re.DOTALL)
_HEX = frozenset(b"0123456789abcdefABCDEF")
# Bytes that must never arrive encoded: they would change the path's structure once decoded again.
_ENCODED_REFUSED = {0x2F: "an encoded '/'", 0x5C: "an encoded '\\'", 0x25: "an encoded '%'"}
# Characters that decode to something else under Unicode compatibility folding must not fold into these.
_STRUCTURAL = frozenset("/\\.%")
# Kept raw when re-encoding: RFC 3986 sub-delims, ':' and '@' (quote keeps letters, digits and "-._~").
_SAFE = "/!$&'()*+,;=:@"


class InvalidPath(ValueError):
    """The raw path is not one the gateway can check and forward unambiguously; the message says why."""


def canonical(raw: bytes) -> str:
    """The decoded path of the raw request path ``raw``; raises :class:`InvalidPath` when it is ambiguous."""
    if not raw.startswith(b"/"):
        raise InvalidPath("the path must start with '/'")
    if not _RAW_ALLOWED.match(raw):
        raise InvalidPath("the path holds a character that must be percent-encoded or is not allowed")
    decoded = bytearray()
    last = 0
    for match in _ESCAPE.finditer(raw):
        hexits = match.group(1)
        if len(hexits) != 2 or not all(c in _HEX for c in hexits):
            raise InvalidPath("the path holds a malformed percent-encoding")
        value = int(hexits, 16)
        if value in _ENCODED_REFUSED:
            raise InvalidPath(f"the path holds {_ENCODED_REFUSED[value]}")
        decoded += raw[last : match.start()]
        decoded.append(value)
        last = match.end()
    decoded += raw[last:]
    try:
        path = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPath("the path is not valid UTF-8 once decoded") from None
    for char in path:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co"):
            raise InvalidPath("the path holds a control or invisible character")
        if not char.isascii() and _STRUCTURAL.intersection(unicodedata.normalize("NFKC", char)):
            raise InvalidPath("the path holds a look-alike of '/', '\\', '.' or '%'")
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            raise InvalidPath("the path holds a '.' or '..' segment")
        if not segment and 0 < index < len(segments) - 1:
            raise InvalidPath("the path holds an empty segment ('//')")
    return path


def encode(path: str) -> str:
    """``path`` (a result of :func:`canonical`) as it goes upstream: decodes back to exactly ``path``."""
    return quote(path, safe=_SAFE)
