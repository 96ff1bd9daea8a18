"""Personal data at rest: ID numbers, phone numbers and TOTP secrets are sealed (gov_common.crypto, the
kind of value bound as associated data, so a value cannot be moved to another column) and found through a
keyed hash (blind index, one purpose per kind), so the database never holds them in clear. The
token-signing private keys are sealed under the same ring.

Keys: ``IDENTITY_SEALING_KEYS`` / ``IDENTITY_SEALING_KEY_ID`` / ``IDENTITY_INDEX_KEY`` (see
:func:`gov_common.crypto.load_keys`); values sealed before identity_0009 were resealed by identity_0010."""

from __future__ import annotations

from gov_common.crypto import KeyRing, Keys
from gov_common.crypto import load_keys as _load_keys
from identity.settings import Settings


def load_keys(settings: Settings) -> Keys:
    """The ring and index key ``settings`` configure; refused in production without real keys."""
    return _load_keys(settings, service="identity")


class Wrap:
    """Seals a secret of the service's own (a signing key) with a context bound as associated data."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        return self._ring.seal(plaintext, aad=context).encode()

    def decrypt(self, blob: bytes, *, context: str) -> str:
        return self._ring.open_text(blob, aad=context)


class PersonalData:
    """Sealing and blind index for personal identifiers."""

    def __init__(self, keys: Keys) -> None:
        self.ring = keys.ring
        self.wrap = Wrap(keys.ring)
        self._index = keys.index

    def index(self, value: str, *, kind: str) -> str:
        """Keyed hash for exact-match look-ups; ``kind`` separates ID numbers from phone numbers."""
        return self._index.digest(value, purpose=kind)

    def encrypt(self, value: str, *, kind: str) -> bytes:
        return self.ring.seal(value, aad=kind).encode()

    def decrypt(self, blob: bytes, *, kind: str) -> str:
        return self.ring.open_text(blob, aad=kind)
