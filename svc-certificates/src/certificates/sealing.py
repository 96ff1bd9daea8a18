"""The cryptography of a department's seal: key generation, keys at rest, VC-JWT and the SM2 e-seal.

Each seal key pairs a P-256 key (the VC-JWT, ``alg`` ES256, verifiable by any JOSE library; joserfc
flags the polymorphic EdDSA name as deprecated by RFC 9864, ES256 has no such caveat) with an
SM2 key (the Chinese e-seal signature, SM2 over SM3 with the default signer id, through gmssl_pyx:
compiled GmSSL whose nonces come from its own CSPRNG). Private keys are stored AES-GCM encrypted under
the service's master key, with the key id as associated data so that a ciphertext cannot be moved to
another key's row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gmssl_pyx
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

VC_ALG = "ES256"
# A holder's identifier in a credential: a salted, slow hash. A plain salted SHA-256 of an ID number (about
# 10^10 plausible values) is reversed in seconds by anyone holding the credential; 200k PBKDF2 rounds make
# that a long job per credential while a verifier shown the number checks it once.
ID_DIGEST_ALG = "pbkdf2-sha256"
ID_DIGEST_ITERATIONS = 200_000
VC_TYP = "vc+jwt"
SM2_SIGNER_ID = gmssl_pyx.SM2_DEFAULT_SIGNER_ID  # b"1234567812345678"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MasterKey:
    """Encrypts secrets at rest and keys the blind index of holder identifiers."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(hashlib.sha256(b"certificates/aead" + key).digest())
        self._index_key = hashlib.sha256(b"certificates/index" + key).digest()

    @classmethod
    def from_settings(cls, configured: str, *, data_dir: Path, production: bool) -> MasterKey:
        if configured:
            return cls(_unb64(configured))
        if production:
            raise RuntimeError("CERTIFICATES_MASTER_KEY must be set in production")
        path = data_dir / "certificates-master.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_b64(secrets.token_bytes(32)))
            path.chmod(0o600)
        return cls(_unb64(path.read_text().strip()))

    def encrypt(self, plaintext: bytes, *, context: str) -> str:
        nonce = secrets.token_bytes(12)
        return _b64(nonce + self._aead.encrypt(nonce, plaintext, context.encode()))

    def decrypt(self, token: str, *, context: str) -> bytes:
        raw = _unb64(token)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode())

    def blind_index(self, value: str) -> str:
        return hmac.new(self._index_key, value.upper().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    vc_private: bytes  # PEM (PKCS#8), P-256
    vc_public_jwk: dict[str, Any]
    sm2_private: bytes  # 32 bytes
    sm2_public: bytes  # 64 bytes (x || y)


def generate_key(kid: str) -> GeneratedKey:
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": VC_ALG}, private=True)
    sm2_public, sm2_private = gmssl_pyx.sm2_key_generate()
    return GeneratedKey(
        kid=kid,
        vc_private=key.as_pem(private=True),
        vc_public_jwk=dict(key.as_dict(private=False)),
        sm2_private=bytes(sm2_private),
        sm2_public=bytes(sm2_public),
    )


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8 (stable for a JSON document)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_vc_jwt(credential: dict[str, Any], *, kid: str, private_pem: bytes) -> str:
    """The credential as a ``vc+jwt``: the credential itself is the JWT payload (VC-JOSE-COSE)."""
    key = ECKey.import_key(private_pem)
    header = {"alg": VC_ALG, "typ": VC_TYP, "kid": kid, "cty": "vc"}
    return jws.serialize_compact(header, canonical(credential), key, algorithms=[VC_ALG])


def jwt_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified; ``ValueError`` if malformed."""
    try:
        header = json.loads(_unb64(token.split(".")[0]))
    except (ValueError, IndexError) as exc:
        raise ValueError("not a compact JWS") from exc
    if not isinstance(header, dict) or token.count(".") != 2:
        raise ValueError("not a compact JWS")
    return header


def verify_vc_jwt(token: str, public_jwk: dict[str, Any]) -> dict[str, Any] | None:
    """The credential if the signature holds, else ``None``."""
    try:
        obj = jws.deserialize_compact(token, ECKey.import_key(public_jwk), algorithms=[VC_ALG])
        payload = json.loads(obj.payload)
    except (JoseError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def identifier_digest(value: str, *, salt: bytes | None = None) -> dict[str, Any]:
    """``{"alg", "iterations", "salt", "digest"}`` of ``value`` (upper-cased), with a fresh salt unless given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", value.strip().upper().encode(), salt, ID_DIGEST_ITERATIONS)
    return {"alg": ID_DIGEST_ALG, "iterations": ID_DIGEST_ITERATIONS, "salt": _b64(salt), "digest": _b64(digest)}


def identifier_matches(committed: Any, value: str) -> bool:
    """Whether ``value`` is the identifier a credential's ``identifier_digest`` stands for."""
    if not isinstance(committed, dict) or committed.get("alg") != ID_DIGEST_ALG:
        return False
    try:
        salt, iterations = _unb64(str(committed["salt"])), int(committed["iterations"])
    except (KeyError, ValueError):
        return False
    if not 1 <= iterations <= ID_DIGEST_ITERATIONS:  # a forged count must not cost us more than ours
        return False
    digest = hashlib.pbkdf2_hmac("sha256", value.strip().upper().encode(), salt, iterations)
    return hmac.compare_digest(_b64(digest), str(committed.get("digest", "")))


def sm2_seal(data: bytes, *, private_key: bytes, public_key: bytes) -> bytes:
    """SM2 signature (DER) over SM3(Z || data) with the default signer id."""
    return bytes(gmssl_pyx.sm2_sign(private_key, public_key, data, signer_id=SM2_SIGNER_ID))


def sm2_verify(data: bytes, signature: bytes, *, public_key: bytes) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(public_key, data, signature, signer_id=SM2_SIGNER_ID))
    except (gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError, ValueError):
        return False
