"""Signatures as Chinese payment channels use them: a canonical string of the fields (sorted ``k=v``
joined by ``&``, empty values and ``sign`` left out), signed with the channel's Ed25519 key (notifications,
query answers, statements) or with the merchant's HMAC-SHA256 key (the merchant's requests)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGN_FIELDS = frozenset({"sign", "sign_type"})


def canonical(fields: Mapping[str, Any]) -> str:
    """The string that is signed: ``a=1&b=x`` over the fields sorted by name, without empty values."""
    parts = []
    for name in sorted(fields):
        value = fields[name]
        if name in SIGN_FIELDS or value is None or value == "":
            continue
        parts.append(f"{name}={value}")
    return "&".join(parts)


def hmac_sign(fields: Mapping[str, Any], key: str) -> str:
    return hmac.new(key.encode(), canonical(fields).encode(), hashlib.sha256).hexdigest().upper()


def hmac_verify(fields: Mapping[str, Any], key: str) -> bool:
    sign = fields.get("sign")
    return isinstance(sign, str) and hmac.compare_digest(sign, hmac_sign(fields, key))


def private_key(seed_b64: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64))


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64))


def ed25519_sign_bytes(data: bytes, key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.sign(data)).decode()


def ed25519_verify_bytes(data: bytes, signature: str, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def ed25519_sign(fields: Mapping[str, Any], key: Ed25519PrivateKey) -> str:
    return ed25519_sign_bytes(canonical(fields).encode(), key)


def ed25519_verify(fields: Mapping[str, Any], key: Ed25519PublicKey) -> bool:
    sign = fields.get("sign")
    return isinstance(sign, str) and ed25519_verify_bytes(canonical(fields).encode(), sign, key)
