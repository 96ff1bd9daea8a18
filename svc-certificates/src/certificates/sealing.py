"""The cryptography of a department's seal: key generation, keys at rest, VC-JWT and the SM2 e-seal.

Each seal key pairs a P-256 key (the VC-JWT, ``alg`` ES256, verifiable by any JOSE library; joserfc
flags the polymorphic EdDSA name as deprecated by RFC 9864, ES256 has no such caveat) with an
SM2 key (the Chinese e-seal signature, SM2 over SM3 with the default signer id, through gmssl_pyx:
compiled GmSSL whose nonces come from its own CSPRNG). Private keys, credentials and holder identifiers
are sealed at rest with gov_common.crypto (``CERTIFICATES_SEALING_KEYS``), bound to their row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import gmssl_pyx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from certificates.settings import Settings
from gov_common.crypto import Keys, load_keys

VC_ALG = "ES256"
# A holder's identifier in a credential: an HMAC under a key only the platform holds. Any unkeyed hash of an
# ID number (slow or not, ~10^8 plausible values) is reversed offline by whoever holds the credential.
HOLDER_DIGEST_ALG = "hmac-sha256"
VC_TYP = "vc+jwt"
SM2_SIGNER_ID = gmssl_pyx.SM2_DEFAULT_SIGNER_ID  # b"1234567812345678"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MasterKey:
    """The service's keys at rest (gov_common.crypto): the ring sealing seal keys, credentials and holder
    identifiers (``CERTIFICATES_SEALING_KEYS``), and the index key (``CERTIFICATES_INDEX_KEY``) from which the
    blind index of holder identifiers and the holder digests in credentials are keyed.

    Both keep the derivation they had under the former ``CERTIFICATES_MASTER_KEY`` (set the index key to
    it): a holder digest sits inside credentials already signed and handed out, which no migration can
    recompute, and the blind index is copied into grants and holder links (the latter without the
    identifier), so recomputing it would chase copies it cannot rebuild."""

    def __init__(self, keys: Keys) -> None:
        self._ring = keys.ring
        self._index_key = keys.index.derive("certificates/index")
        self._holder_digest_key = keys.index.derive("certificates/holder-digest")

    @classmethod
    def from_settings(cls, settings: Settings) -> MasterKey:
        """The configured keys; refused in production without real ones."""
        return cls(load_keys(settings, service="certificates"))

    def encrypt(self, plaintext: bytes, *, context: str) -> str:
        return self._ring.seal(plaintext, aad=context)

    def decrypt(self, token: str, *, context: str) -> bytes:
        return self._ring.open(token, aad=context)

    def blind_index(self, value: str) -> str:
        return hmac.new(self._index_key, value.upper().encode(), hashlib.sha256).hexdigest()

    def _holder_mac(self, salt: bytes, value: str) -> str:
        return _b64(hmac.new(self._holder_digest_key, salt + value.strip().upper().encode(), hashlib.sha256).digest())

    def holder_digest(self, value: str) -> dict[str, str]:
        """``{"alg", "salt", "digest"}`` committing a credential to its holder's identifier (upper-cased):
        HMAC-SHA256 over a fresh salt and the identifier, under a key only the platform holds, so a
        credential's holder cannot test guesses offline and two credentials of one holder do not match."""
        salt = secrets.token_bytes(16)
        return {"alg": HOLDER_DIGEST_ALG, "salt": _b64(salt), "digest": self._holder_mac(salt, value)}

    def holder_digest_matches(self, committed: Any, value: str) -> bool | None:
        """Whether ``value`` is the identifier ``committed`` (a credential's ``id_digest``) stands for;
        ``None`` when it cannot tell: a digest of another kind, such as the ``pbkdf2-sha256`` of credentials
        issued before keyed digests (those are not checked; reissue to check them)."""
        if not isinstance(committed, dict) or committed.get("alg") != HOLDER_DIGEST_ALG:
            return None
        try:
            salt = _unb64(str(committed["salt"]))
        except (KeyError, ValueError):
            return False
        return hmac.compare_digest(self._holder_mac(salt, value), str(committed.get("digest", "")))


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


def sm2_seal(data: bytes, *, private_key: bytes, public_key: bytes) -> bytes:
    """SM2 signature (DER) over SM3(Z || data) with the default signer id."""
    return bytes(gmssl_pyx.sm2_sign(private_key, public_key, data, signer_id=SM2_SIGNER_ID))


def sm2_verify(data: bytes, signature: bytes, *, public_key: bytes) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(public_key, data, signature, signer_id=SM2_SIGNER_ID))
    except (gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError, ValueError):
        return False
