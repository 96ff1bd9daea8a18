"""The seal's signatures, checked by independent implementations: the VC-JWT with PyJWT (not joserfc,
which signs it), the SM2 e-seal with pure-Python gmssl (not gmssl_pyx, which signs it)."""

import base64
import hashlib
import json
import secrets
from pathlib import Path

import jwt as pyjwt
import pytest
from gmssl import sm2 as pure_sm2

from certificates.sealing import (
    MasterKey,
    canonical,
    generate_key,
    identifier_digest,
    identifier_matches,
    sign_vc_jwt,
    sm2_seal,
    sm2_verify,
    verify_vc_jwt,
)

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


def test_master_key_encrypts_with_context_and_persists_in_development(tmp_path: Path) -> None:
    mk = MasterKey.from_settings("", data_dir=tmp_path, production=False)
    token = mk.encrypt(b"secret", context="kid-1")
    assert b"secret" not in token.encode()
    again = MasterKey.from_settings("", data_dir=tmp_path, production=False)
    assert again.decrypt(token, context="kid-1") == b"secret"
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        again.decrypt(token, context="kid-2")
    assert mk.blind_index("91450100mA5K9X2B3J") == mk.blind_index("91450100MA5K9X2B3J")
    with pytest.raises(RuntimeError):
        MasterKey.from_settings("", data_dir=tmp_path / "p", production=True)


def test_a_holder_identifier_is_a_salted_slow_hash_a_verifier_can_check() -> None:
    committed = identifier_digest("11010519491231002x")
    assert "11010519491231002X" not in json.dumps(committed)
    # what any verifier shown the number computes, with the standard library
    salt = base64.urlsafe_b64decode(committed["salt"] + "==")
    again = hashlib.pbkdf2_hmac("sha256", b"11010519491231002X", salt, committed["iterations"])
    assert base64.urlsafe_b64encode(again).decode().rstrip("=") == committed["digest"]
    assert identifier_matches(committed, "11010519491231002X")
    assert not identifier_matches(committed, "110105194912310038")
    assert identifier_digest("11010519491231002X")["digest"] != committed["digest"]  # a fresh salt each time
    # a forged work factor above ours is refused unchecked (no CPU spent on an attacker's number)
    assert not identifier_matches({**committed, "iterations": 10**9}, "11010519491231002X")
    assert not identifier_matches({"alg": "sha256"}, "11010519491231002X")
