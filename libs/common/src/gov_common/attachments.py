"""Files handed to a browser from the platform's origin: always a download, never a page.

A file a person uploaded (or a PDF we render) is served as an attachment whose name cannot smuggle a path,
a control character or a misleading extension, with ``X-Content-Type-Options: nosniff`` and a
Content-Security-Policy that gives the document no capabilities (``sandbox``): even content that passes for
a PDF by its first bytes and carries HTML after them is never run as a page of the platform's origin.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from email.utils import encode_rfc2231
from typing import Any

# No fetch, no script, no form, no plugin, no same-origin access, even if a browser were to render it; framed
# by no page (frame-ancestors does not fall back to default-src).
ATTACHMENT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_SEPARATORS = re.compile(r"[/\\]")
_NOT_IN_NAMES = re.compile(r'[<>:"|?*]')  # not allowed in a Windows file name (and markup's delimiters)
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._()-]+")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)
MAX_STEM = 100


def extension_for(media_type: str) -> str:
    """The file name extension of ``media_type`` (``.pdf``), ``""`` when it has none."""
    return _EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type, strict=True) or ""


def safe_filename(name: str | None, *, media_type: str, fallback: str) -> str:
    """``name`` as a download's file name: its last path segment, without control or format characters
    (a right-to-left override hides a real extension), ``<>:"|?*`` as ``_``, trimmed, at most ``MAX_STEM`` characters before an
    extension that is always the one of ``media_type`` (the content's type, not what the name claims).
    ``fallback`` when nothing is left."""
    base = _SEPARATORS.split(unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    base = _NOT_IN_NAMES.sub("_", base)
    stem = base.strip(" .")
    if "." in stem:
        stem = stem.rsplit(".", 1)[0].rstrip(" .")
    stem = stem[:MAX_STEM].rstrip(" .") or fallback
    if stem.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return stem + extension_for(media_type)


def _ascii_fallback(filename: str, *, media_type: str, fallback: str) -> str:
    """The ``filename=`` form for clients without RFC 5987: ASCII letters, digits and ``._()-`` only."""
    ascii_only = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    extension = extension_for(media_type)
    stem = ascii_only.removesuffix(extension) if extension else ascii_only
    stem = _NOT_TOKEN.sub("_", stem).strip(".-")
    if not stem.strip("_"):
        stem = fallback
    return stem + extension


def content_disposition(name: str | None, *, media_type: str, fallback: str = "download") -> str:
    """``attachment`` with the safe file name (RFC 6266): an ASCII ``filename`` for every client, and the
    full name as ``filename*`` (RFC 8187/5987, UTF-8, percent-encoded) when it differs. ``fallback`` is an
    ASCII name for when nothing of ``name`` is usable."""
    filename = safe_filename(name, media_type=media_type, fallback=fallback)
    plain = _ascii_fallback(filename, media_type=media_type, fallback=fallback)
    value = f'attachment; filename="{plain}"'
    if plain != filename:
        value += f"; filename*={encode_rfc2231(filename, 'UTF-8')}"
    return value


def attachment_headers(name: str | None, *, media_type: str, fallback: str = "download") -> dict[str, str]:
    """The headers of a file served for download (its ``Content-Type`` is the caller's to set): attachment
    with a safe name, no sniffing, a CSP that disables everything, readable by this origin's pages only,
    kept by no cache (the platform's files are personal)."""
    return {
        "Content-Disposition": content_disposition(name, media_type=media_type, fallback=fallback),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": ATTACHMENT_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, no-store",
    }


def download_response(media_types: Iterable[str], description: str) -> dict[str, Any]:
    """The OpenAPI answer of an operation that serves a file with :func:`attachment_headers` (for a route's
    ``responses={200: ...}``)."""
    headers = {
        "Content-Disposition": "attachment, with a safe file name (RFC 6266; filename* as RFC 5987 UTF-8)",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": ATTACHMENT_CSP,
    }
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types},
        "headers": {name: {"schema": {"type": "string"}, "description": text} for name, text in headers.items()},
    }
