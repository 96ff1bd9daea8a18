"""gov_common.crypto: sealed values, key rotation, blind indexes and the key loader."""

from __future__ import annotations

import base64
import hashlib
import secrets
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from gov_common.crypto import (
    BlindIndex,
    KeyConfigError,
    KeyRing,
    UnknownKey,
    Unreadable,
    b64url,
    development_key,
    load_keys,
    parse,
    unb64url,
)

K1, K2 = secrets.token_bytes(32), secrets.token_bytes(32)


def _settings(
    environment: str = "development",
    keys: dict[str, bytes] | None = None,
    current: str = "",
    index: bytes | None = None,
) -> SimpleNamespace:
    return SimpleNamespace(
        environment=environment,
        sealing_keys={kid: SecretStr(base64.b64encode(key).decode()) for kid, key in (keys or {}).items()},
        sealing_key_id=current,
        index_key=SecretStr(base64.b64encode(index).decode() if index else ""),
    )


def test_round_trip_names_the_key_in_a_versioned_text() -> None:
    ring = KeyRing({"k1": K1}, "k1")
    sealed = ring.seal("110101199003071234", aad="account.id_number")
    assert sealed.startswith("v1.k1.") and sealed.count(".") == 3
    assert ring.open_text(sealed, aad="account.id_number") == "110101199003071234"
    assert ring.open(sealed.encode(), aad="account.id_number") == b"110101199003071234"  # bytes columns too


def test_each_seal_uses_a_fresh_nonce() -> None:
    ring = KeyRing({"k1": K1}, "k1")
    assert ring.seal("same", aad="a") != ring.seal("same", aad="a")


def test_wrong_associated_data_does_not_open() -> None:
    ring = KeyRing({"k1": K1}, "k1")
    with pytest.raises(Unreadable):
        ring.open(ring.seal("secret", aad="webhook:1"), aad="webhook:2")


def test_unknown_key_id_does_not_open() -> None:
    sealed = KeyRing({"old": K1}, "old").seal("secret", aad="a")
    with pytest.raises(UnknownKey):
        KeyRing({"new": K2}, "new").open(sealed, aad="a")


def test_a_relabelled_key_id_does_not_open() -> None:
    ring = KeyRing({"a": K1, "b": K1}, "a")  # same key under two ids: the kid is bound too
    sealed = ring.seal("secret", aad="x")
    with pytest.raises(Unreadable):
        ring.open(sealed.replace("v1.a.", "v1.b.", 1), aad="x")


@pytest.mark.parametrize("part", [2, 3])
def test_tampering_is_detected(part: int) -> None:
    ring = KeyRing({"k1": K1}, "k1")
    pieces = ring.seal("secret", aad="a").split(".")
    raw = bytearray(unb64url(pieces[part]))
    raw[0] ^= 1
    pieces[part] = b64url(bytes(raw))
    with pytest.raises(Unreadable):
        ring.open(".".join(pieces), aad="a")


@pytest.mark.parametrize(
    "value", ["", "v1", "v2.k1.AAAA.AAAA", "v1.k1.!!.AAAA", "v1.k.1.AAAAAAAAAAAAAAAA.AAAA", b"\x01\x02"]
)
def test_malformed_values_are_unreadable(value: str | bytes) -> None:
    with pytest.raises(Unreadable):
        KeyRing({"k1": K1}, "k1").open(value, aad="a")


def test_rotation_keeps_old_values_readable_and_seals_new_ones_under_the_new_key() -> None:
    old = KeyRing({"k1": K1}, "k1").seal("secret", aad="a")
    rotated = KeyRing({"k1": K1, "k2": K2}, "k2")
    assert rotated.open_text(old, aad="a") == "secret"
    assert parse(rotated.seal("other", aad="a")).kid == "k2"


def test_reseal_moves_a_value_to_the_current_key() -> None:
    old = KeyRing({"k1": K1}, "k1").seal("secret", aad="a")
    rotated = KeyRing({"k1": K1, "k2": K2}, "k2")
    assert rotated.needs_reseal(old)
    moved = rotated.reseal(old, aad="a")
    assert parse(moved).kid == "k2" and not rotated.needs_reseal(moved)
    assert KeyRing({"k2": K2}, "k2").open_text(moved, aad="a") == "secret"  # k1 may now leave the ring
    assert rotated.reseal(moved, aad="a") == moved
    assert rotated.needs_reseal(b"\x01legacy")


def test_a_ring_refuses_bad_ids_and_keys() -> None:
    with pytest.raises(KeyConfigError):
        KeyRing({"k1": K1}, "k2")
    with pytest.raises(KeyConfigError):
        KeyRing({"a.b": K1}, "a.b")
    with pytest.raises(KeyConfigError):
        KeyRing({"k1": b"short"}, "k1")


def test_blind_index_is_keyed_and_purpose_separated() -> None:
    index = BlindIndex(K1)
    assert index.digest("110101199003071234", purpose="id_number") == index.digest(
        "110101199003071234", purpose="id_number"
    )
    assert index.digest("13800000000", purpose="phone") != index.digest("13800000000", purpose="id_number")
    assert BlindIndex(K2).digest("x", purpose="p") != index.digest("x", purpose="p")
    assert len(index.digest("x", purpose="p")) == 64


def test_loader_reads_the_configured_ring() -> None:
    keys = load_keys(_settings("production", {"k1": K1, "k2": K2}, "k2", K1[::-1]), service="identity")
    assert keys.ring.current == "k2" and keys.ring.key_ids == {"k1", "k2"}
    assert keys.ring.open_text(KeyRing({"k1": K1}, "k1").seal("s", aad="a"), aad="a") == "s"


def test_loader_accepts_url_safe_base64_without_padding() -> None:
    key = b"\xfb\xff" * 16
    settings = _settings(keys={"k1": key})
    settings.sealing_keys = {"k1": SecretStr(base64.urlsafe_b64encode(key).decode().rstrip("="))}
    assert (
        load_keys(settings, service="identity").ring.open_text(KeyRing({"k1": key}, "k1").seal("s", aad="a"), aad="a")
        == "s"
    )


def test_development_keys_are_derived_outside_production() -> None:
    first = load_keys(_settings("development"), service="identity")
    again = load_keys(_settings("test"), service="identity")
    assert first.ring.current == "dev"
    assert again.ring.open_text(first.ring.seal("s", aad="a"), aad="a") == "s"  # deterministic
    other = load_keys(_settings("development"), service="exchange")
    with pytest.raises(Unreadable):
        other.ring.open(first.ring.seal("s", aad="a"), aad="a")  # one key per service


def test_production_refuses_to_start_without_keys() -> None:
    with pytest.raises(
        KeyConfigError, match=r"IDENTITY_SEALING_KEYS .* IDENTITY_INDEX_KEY .* must be set in production"
    ):
        load_keys(_settings("production"), service="identity")
    with pytest.raises(KeyConfigError, match="IDENTITY_INDEX_KEY"):
        load_keys(_settings("production", {"k1": K1}), service="identity")


def test_production_refuses_the_development_keys() -> None:
    public = development_key("identity", "sealing")
    with pytest.raises(KeyConfigError, match="development keys"):
        load_keys(_settings("production", {"k1": public}, index=K2), service="identity")


def test_production_refuses_an_index_key_that_also_seals() -> None:
    with pytest.raises(KeyConfigError, match="INDEX_KEY must not be one of"):
        load_keys(_settings("production", {"k1": K1}, index=K1), service="identity")


def test_loader_messages_name_the_setting_never_the_key() -> None:
    with pytest.raises(KeyConfigError) as caught:
        load_keys(_settings(keys={"k1": b"x" * 31}), service="exchange")
    assert "EXCHANGE_SEALING_KEYS['k1']" in str(caught.value)
    assert base64.b64encode(b"x" * 31).decode() not in str(caught.value)


def test_several_keys_need_a_current_id() -> None:
    with pytest.raises(KeyConfigError, match="SEALING_KEY_ID must name"):
        load_keys(_settings(keys={"k1": K1, "k2": K2}), service="identity")
    with pytest.raises(KeyConfigError, match="is not a key"):
        load_keys(_settings(keys={"k1": K1}, current="k9"), service="identity")


def test_a_derived_key_is_labelled_and_keyed() -> None:
    index = BlindIndex(bytes(range(32)))
    assert index.derive("a") == hashlib.sha256(b"a" + bytes(range(32))).digest()
    assert index.derive("a") != index.derive("b") != BlindIndex(bytes(range(1, 33))).derive("b")
