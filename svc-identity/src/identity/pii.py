"""Personal data at rest: ID numbers, phone numbers and TOTP secrets are stored encrypted (AES-256-GCM)
and found through a keyed hash (HMAC-SHA256 blind index), so the database never holds them in clear.

Keys come from settings in production. The embedded default generates them once into
``data_dir/identity-keys.json`` (mode 0600, under the git-ignored ``.var/``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from identity.settings import Settings

KEY_FILE = "identity-keys.json"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    raw = base64.b64decode(text)
    if len(raw) != 32:
        raise ValueError("a personal-data key is 32 bytes, base64-encoded")
    return raw


@dataclass(frozen=True)
class Keys:
    encryption: bytes
    index: bytes
    wrap: bytes


def load_keys(settings: Settings) -> Keys:
    """Keys from settings; outside production, generated once into data_dir when not set."""
    if settings.pii_encryption_key and settings.pii_index_key:
        enc = _unb64(settings.pii_encryption_key.get_secret_value())
        wrap = settings.signing_key_wrap_key
        return Keys(
            enc, _unb64(settings.pii_index_key.get_secret_value()), _unb64(wrap.get_secret_value()) if wrap else enc
        )
    if settings.environment == "production":
        raise RuntimeError("IDENTITY_PII_ENCRYPTION_KEY and IDENTITY_PII_INDEX_KEY must be set in production")
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = {name: _b64(secrets.token_bytes(32)) for name in ("encryption", "index", "wrap")}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(fresh, fh)
    stored = json.loads(path.read_text())
    return Keys(_unb64(stored["encryption"]), _unb64(stored["index"]), _unb64(stored["wrap"]))


class Cipher:
    """Encrypts with a context string bound as associated data, so a value cannot be moved to another column."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> str:
        if blob[:1] != b"\x01":
            raise ValueError("unknown ciphertext version")
        return self._aead.decrypt(blob[1:13], blob[13:], context.encode()).decode()


class PersonalData:
    """Encryption and blind index for personal identifiers."""

    def __init__(self, keys: Keys) -> None:
        self.cipher = Cipher(keys.encryption)
        self.wrap = Cipher(keys.wrap)
        self._index_key = keys.index

    def index(self, value: str, *, kind: str) -> str:
        """Keyed hash for exact-match look-ups; ``kind`` separates ID numbers from phone numbers."""
        return hmac.new(self._index_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str, *, kind: str) -> bytes:
        return self.cipher.encrypt(value, context=kind)

    def decrypt(self, blob: bytes, *, kind: str) -> str:
        return self.cipher.decrypt(blob, context=kind)
