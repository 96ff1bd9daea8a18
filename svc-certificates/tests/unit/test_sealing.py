"""The seal's signatures, checked by independent implementations: the VC-JWT with PyJWT (not joserfc,
which signs it), the SM2 e-seal with pure-Python gmssl (not gmssl_pyx, which signs it)."""

import base64
import hashlib
import hmac
import json
import secrets

import jwt as pyjwt
import pytest
from gmssl import sm2 as pure_sm2

from certificates.sealing import (
    MasterKey,
    canonical,
    generate_key,
    sign_vc_jwt,
    sm2_seal,
    sm2_verify,
    verify_vc_jwt,
)
from certificates.settings import Settings
from gov_common.crypto import BlindIndex, KeyConfigError, KeyRing, Keys, Unreadable

DOC = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "name": "营业执照"}


def test_vc_jwt_verifies_with_pyjwt_and_tampering_is_caught() -> None:
    key = generate_key("dept#1")
    token = sign_vc_jwt(DOC, kid="dept#1", private_pem=key.vc_private)
    header = pyjwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "typ": "vc+jwt", "kid": "dept#1", "cty": "vc"}
    public = pyjwt.PyJWK(key.vc_public_jwk).key
    assert pyjwt.decode(token, public, algorithms=["ES256"]) == DOC
    head, _payload, sig = token.split(".")
    forged = pyjwt.utils.base64url_encode(json.dumps({**DOC, "name": "假证"}).encode()).decode()
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(f"{head}.{forged}.{sig}", public, algorithms=["ES256"])
    assert verify_vc_jwt(f"{head}.{forged}.{sig}", key.vc_public_jwk) is None
    assert verify_vc_jwt(token, key.vc_public_jwk) == DOC
    other = generate_key("dept#2")
    assert verify_vc_jwt(token, other.vc_public_jwk) is None


def test_sm2_seal_verifies_with_a_second_implementation() -> None:
    key = generate_key("dept#1")
    data = canonical(DOC)
    signature = sm2_seal(data, private_key=key.sm2_private, public_key=key.sm2_public)
    verifier = pure_sm2.CryptSM2(private_key=None, public_key=key.sm2_public.hex(), asn1=True)
    assert verifier.verify_with_sm3(signature.hex(), data)
    assert not verifier.verify_with_sm3(signature.hex(), data.replace("营业".encode(), "经营".encode()))
    assert sm2_verify(data, signature, public_key=key.sm2_public)
    assert not sm2_verify(data + b" ", signature, public_key=key.sm2_public)
    assert not sm2_verify(data, b"not a signature", public_key=key.sm2_public)


def test_sm2_signatures_of_the_second_implementation_verify_here() -> None:
    key = generate_key("dept#1")
    signer = pure_sm2.CryptSM2(private_key=key.sm2_private.hex(), public_key=key.sm2_public.hex(), asn1=True)
    # gmssl draws its nonce from `random` unless given one: pass one from `secrets` (DOMAIN.md)
    signature = signer.sign_with_sm3(b"seal", secrets.token_hex(32))
    assert sm2_verify(b"seal", bytes.fromhex(signature), public_key=key.sm2_public)


def test_master_key_seals_with_context_and_refuses_production_without_keys() -> None:
    mk = MasterKey.from_settings(Settings())
    token = mk.encrypt(b"secret", context="kid-1")
    assert b"secret" not in token.encode() and token.startswith("v1.dev.")
    assert mk.decrypt(token, context="kid-1") == b"secret"
    with pytest.raises(Unreadable):
        mk.decrypt(token, context="kid-2")
    assert mk.blind_index("91450100mA5K9X2B3J") == mk.blind_index("91450100MA5K9X2B3J")
    with pytest.raises(KeyConfigError, match="CERTIFICATES_SEALING_KEYS"):
        MasterKey.from_settings(Settings(environment="production"))


def test_holder_index_and_digest_keep_the_former_master_key_derivation() -> None:
    """With the index key set to the former master key, digests in credentials already issued and blind
    indexes already stored (copied into grants and holder links) still match."""
    former = bytes(range(32))
    mk = _keyed(former)
    index_key = hashlib.sha256(b"certificates/index" + former).digest()
    assert (
        mk.blind_index("91450100ma5k9x2b3j") == hmac.new(index_key, b"91450100MA5K9X2B3J", hashlib.sha256).hexdigest()
    )
    salt = secrets.token_bytes(16)
    digest_key = hashlib.sha256(b"certificates/holder-digest" + former).digest()
    issued = {
        "alg": "hmac-sha256",
        "salt": base64.urlsafe_b64encode(salt).decode().rstrip("="),
        "digest": base64.urlsafe_b64encode(hmac.new(digest_key, salt + ID_NUMBER.encode(), hashlib.sha256).digest())
        .decode()
        .rstrip("="),
    }
    assert mk.holder_digest_matches(issued, ID_NUMBER) is True


ID_NUMBER = "11010519491231002X"
KEY, OTHER_KEY = bytes(range(32)), bytes(range(1, 33))


def _keyed(index_key: bytes) -> MasterKey:
    ring = KeyRing({"k": secrets.token_bytes(32)}, "k")
    return MasterKey(Keys(ring, BlindIndex(index_key)))


def test_a_holder_digest_is_keyed_and_checked_only_by_the_platform() -> None:
    mk = _keyed(KEY)
    committed = mk.holder_digest("11010519491231002x")
    assert set(committed) == {"alg", "salt", "digest"} and committed["alg"] == "hmac-sha256"
    assert ID_NUMBER not in json.dumps(committed)
    assert len(base64.urlsafe_b64decode(committed["salt"] + "==")) == 16
    assert mk.holder_digest_matches(committed, ID_NUMBER) is True
    assert mk.holder_digest_matches(committed, " 11010519491231002x ") is True  # normalised as issued
    assert mk.holder_digest_matches(committed, "110105194912310038") is False


def test_each_holder_digest_has_a_fresh_salt() -> None:
    """Two credentials of one holder carry unrelated digests (unlinkable to each other)."""
    mk = _keyed(KEY)
    first, second = mk.holder_digest(ID_NUMBER), mk.holder_digest(ID_NUMBER)
    assert first["salt"] != second["salt"] and first["digest"] != second["digest"]
    assert mk.holder_digest_matches(first, ID_NUMBER) and mk.holder_digest_matches(second, ID_NUMBER)


def test_a_holder_digest_is_not_reproducible_without_the_key() -> None:
    """Whoever holds a credential has the salt and guesses the number, yet no unkeyed hash, the blind
    index, nor another master key reproduces the digest."""
    mk = _keyed(KEY)
    committed = mk.holder_digest(ID_NUMBER)
    salt = base64.urlsafe_b64decode(committed["salt"] + "==")

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    offline = {
        b64(hashlib.sha256(salt + ID_NUMBER.encode()).digest()),
        b64(hmac.new(salt, ID_NUMBER.encode(), hashlib.sha256).digest()),
        b64(hashlib.pbkdf2_hmac("sha256", ID_NUMBER.encode(), salt, 1)),
        b64(bytes.fromhex(mk.blind_index(ID_NUMBER))),
    }
    assert committed["digest"] not in offline
    assert _keyed(OTHER_KEY).holder_digest_matches(committed, ID_NUMBER) is False


def test_a_credential_issued_before_keyed_digests_is_not_checked() -> None:
    """An old PBKDF2 digest (the number it commits is right) gets no answer, and costs no PBKDF2."""
    salt = secrets.token_bytes(16)
    old = {
        "alg": "pbkdf2-sha256",
        "iterations": 200_000,
        "salt": base64.urlsafe_b64encode(salt).decode().rstrip("="),
        "digest": base64.urlsafe_b64encode(hashlib.pbkdf2_hmac("sha256", ID_NUMBER.encode(), salt, 200_000))
        .decode()
        .rstrip("="),
    }
    mk = _keyed(KEY)
    assert mk.holder_digest_matches(old, ID_NUMBER) is None
    assert mk.holder_digest_matches({"alg": "hmac-sha256", "digest": "x"}, ID_NUMBER) is False  # no salt
    assert mk.holder_digest_matches("not a digest", ID_NUMBER) is None
