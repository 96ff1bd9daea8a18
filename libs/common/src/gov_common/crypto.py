"""Values sealed at rest, the key ring that seals them, blind indexes and the one key loader.

Sealed value (format ``v1``), ASCII text, four parts joined by ``.``::

    v1.<kid>.<nonce>.<ciphertext>

``kid`` names the ring's key that sealed it (1 to 64 of ``A-Z a-z 0-9 _ -``); ``nonce`` (12 random bytes)
and ``ciphertext`` (AES-256-GCM ciphertext followed by its 16-byte tag) are base64url without padding.
The GCM associated data is ``b"v1." + kid + b"\\x00" + aad``: the caller's ``aad`` names where the value
lives (``"account.id_number"``, ``"webhook_subscription.secret:<id>"``), so a value copied to another
column or row, or relabelled with another key id, does not open.

A blind index is HMAC-SHA256 under its own key (never a sealing key) over ``purpose + ":" + value``, in
lower-case hex: equal values of one purpose match, values of two purposes never do.

Keys come from a service's settings, one scheme for every service (prefix ``<SERVICE>_``):

- ``SEALING_KEYS``: JSON ``{"<kid>": "<base64 of 32 random bytes>", ...}``, the current key and older ones
  still readable;
- ``SEALING_KEY_ID``: the kid new values are sealed with (may be left empty when the ring holds one key);
- ``INDEX_KEY``: base64 of 32 random bytes, keying the blind indexes.

Rotation: add the new key to ``SEALING_KEYS`` on every replica, then make it ``SEALING_KEY_ID``; values under
older keys stay readable and :meth:`KeyRing.reseal` moves them; an old key leaves the ring once nothing
names it. Outside production a missing key is derived from the service's name (kid ``dev``), published in
this file so never a secret; production refuses to start without real keys, and refuses those.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, Field, SecretStr

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
MAX_KEY_ID = 64
DEV_KEY_ID = "dev"
_KEY_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_KEY_ID}}}")


class CryptoError(Exception):
    """Base of this module's errors about sealed values."""


class UnknownKey(CryptoError):
    """A sealed value names a key the ring does not hold (it left the ring, or was never configured)."""


class Unreadable(CryptoError):
    """A sealed value is malformed, tampered with, or sealed for other associated data."""


class KeyConfigError(ValueError):
    """The configured keys cannot be used; the message names the setting, never a key."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    """base64url without padding (the sealed format); ``Unreadable`` when it is not."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable("not base64url") from None


def decode_key(text: str, *, setting: str) -> bytes:
    """A configured key: base64 (standard or url-safe, padding optional) of exactly 32 bytes."""
    normal = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"{setting} must be base64 of {KEY_BYTES} random bytes")
    return raw


def _aad(kid: str, aad: str) -> bytes:
    return f"{VERSION}.{kid}".encode() + b"\x00" + aad.encode()


@dataclass(frozen=True)
class SealedParts:
    kid: str
    nonce: bytes
    ciphertext: bytes


def parse(sealed: str | bytes) -> SealedParts:
    """The parts of a sealed value; ``Unreadable`` when it is not format ``v1``."""
    text = sealed.decode("ascii", "replace") if isinstance(sealed, bytes | bytearray | memoryview) else sealed
    parts = text.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not _KEY_ID.fullmatch(parts[1]):
        raise Unreadable(f"not a sealed value of format {VERSION}")
    nonce, ciphertext = unb64url(parts[2]), unb64url(parts[3])
    if len(nonce) != NONCE_BYTES or len(ciphertext) < 16:
        raise Unreadable(f"not a sealed value of format {VERSION}")
    return SealedParts(parts[1], nonce, ciphertext)


class KeyRing:
    """AES-256-GCM keys by id: :meth:`seal` with the current one, :meth:`open` with whichever sealed."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        for kid, key in keys.items():
            if not _KEY_ID.fullmatch(kid):
                raise KeyConfigError(f"a key id has 1 to {MAX_KEY_ID} of A-Z a-z 0-9 _ - (got {kid[:80]!r})")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"key {kid!r} is not {KEY_BYTES} bytes")
        if current not in keys:
            raise KeyConfigError(f"the current key id {current!r} is not a key of the ring")
        self._aeads = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._aeads)

    def seal(self, plaintext: bytes | str, *, aad: str) -> str:
        """``plaintext`` sealed under the current key, bound to ``aad``."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._aeads[self.current].encrypt(nonce, data, _aad(self.current, aad))
        return f"{VERSION}.{self.current}.{b64url(nonce)}.{b64url(ciphertext)}"

    def open(self, sealed: str | bytes, *, aad: str) -> bytes:
        """The plaintext; ``UnknownKey`` or ``Unreadable`` (tampered, other ``aad``, malformed) otherwise."""
        parts = parse(sealed)
        aead = self._aeads.get(parts.kid)
        if aead is None:
            raise UnknownKey(f"key {parts.kid!r} is not in the ring")
        try:
            return aead.decrypt(parts.nonce, parts.ciphertext, _aad(parts.kid, aad))
        except InvalidTag:
            raise Unreadable(f"the value does not open with key {parts.kid!r} for this associated data") from None

    def open_text(self, sealed: str | bytes, *, aad: str) -> str:
        return self.open(sealed, aad=aad).decode()

    def needs_reseal(self, sealed: str | bytes) -> bool:
        """Whether ``sealed`` was sealed under another key than the current one (or is not format ``v1``)."""
        try:
            return parse(sealed).kid != self.current
        except Unreadable:
            return True

    def reseal(self, sealed: str | bytes, *, aad: str) -> str:
        """``sealed`` under the current key (the same value when it already is)."""
        if not self.needs_reseal(sealed):
            return sealed if isinstance(sealed, str) else bytes(sealed).decode("ascii")
        return self.seal(self.open(sealed, aad=aad), aad=aad)


class BlindIndex:
    """Keyed hash for exact-match look-ups of values stored sealed."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise KeyConfigError(f"the index key is not {KEY_BYTES} bytes")
        self._key = key

    def digest(self, value: str, *, purpose: str) -> str:
        """HMAC-SHA256(key, ``purpose:value``) in hex; normalise ``value`` first (case, spaces) if it varies."""
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def mac(self, data: bytes, *, purpose: str) -> bytes:
        """Raw HMAC-SHA256 over ``purpose:`` and ``data`` (for digests that carry their own salt)."""
        return hmac.new(self._key, purpose.encode() + b":" + data, hashlib.sha256).digest()

    def derive(self, label: str) -> bytes:
        """SHA-256(``label`` || key): a key for another keyed construction under the index key, for values
        that outlive a change of construction (a digest inside a credential already signed and handed out)."""
        return hashlib.sha256(label.encode() + self._key).digest()


class KeySettings(BaseModel):
    """The key settings of a service (mix into its ``Settings``; env ``<PREFIX>SEALING_KEYS`` and so on)."""

    # JSON {"<kid>": "<base64 of 32 random bytes>"}: the current sealing key and older ones still readable.
    sealing_keys: dict[str, SecretStr] = Field(default_factory=dict)
    # The kid new values are sealed with; may stay empty when the ring holds one key.
    sealing_key_id: str = ""
    # Base64 of 32 random bytes keying the blind indexes (never one of the sealing keys).
    index_key: SecretStr = SecretStr("")


@dataclass(frozen=True)
class Keys:
    ring: KeyRing
    index: BlindIndex


def development_key(service: str, purpose: str) -> bytes:
    """The key used outside production when none is configured: public, so never a secret."""
    return hashlib.sha256(f"gov-platform development key/{service}/{purpose}".encode()).digest()


def load_keys(settings: Any, *, service: str) -> Keys:
    """The keys ``settings`` (a :class:`KeySettings` with ``environment``) configure for ``service``.

    In production every key must be configured and none may be a development key; elsewhere a missing key
    is :func:`development_key`."""
    env = service.upper()
    production = settings.environment == "production"
    configured: dict[str, SecretStr] = settings.sealing_keys
    index_text = settings.index_key.get_secret_value()
    if production and (not configured or not index_text):
        raise KeyConfigError(
            f"{env}_SEALING_KEYS (JSON of key id to base64 of 32 random bytes) and {env}_INDEX_KEY (base64 of 32 "
            "random bytes) must be set in production: personal data and secrets are sealed with them"
        )
    if configured:
        keys = {
            kid: decode_key(text.get_secret_value(), setting=f"{env}_SEALING_KEYS[{kid!r}]")
            for kid, text in configured.items()
        }
    else:
        keys = {DEV_KEY_ID: development_key(service, "sealing")}
    index_key = decode_key(index_text, setting=f"{env}_INDEX_KEY") if index_text else development_key(service, "index")
    if production:
        public = {development_key(service, "sealing"), development_key(service, "index")}
        if public & {*keys.values(), index_key}:
            raise KeyConfigError(f"{env}_SEALING_KEYS and {env}_INDEX_KEY must not be the published development keys")
        if index_key in keys.values():
            raise KeyConfigError(f"{env}_INDEX_KEY must not be one of {env}_SEALING_KEYS")
    current = settings.sealing_key_id or (next(iter(keys)) if len(keys) == 1 else "")
    if not current:
        raise KeyConfigError(f"{env}_SEALING_KEY_ID must name the current key when the ring holds several")
    if current not in keys:
        raise KeyConfigError(f"{env}_SEALING_KEY_ID {current!r} is not a key of {env}_SEALING_KEYS")
    return Keys(KeyRing(keys, current), BlindIndex(index_key))
