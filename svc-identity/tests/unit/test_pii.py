"""Personal-data sealing and the blind index, on gov_common.crypto's keys."""

import base64
import secrets
from pathlib import Path

import pytest

from gov_common.crypto import KeyConfigError, Unreadable
from identity.pii import PersonalData, load_keys
from identity.settings import Settings


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_development_keys_need_no_file(tmp_path: Path) -> None:
    first = PersonalData(load_keys(Settings(data_dir=tmp_path)))
    second = PersonalData(load_keys(Settings(data_dir=tmp_path / "other")))
    assert second.decrypt(first.encrypt("x", kind="phone"), kind="phone") == "x"
    assert list(tmp_path.iterdir()) == []


def test_production_needs_keys_from_settings(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match=r"IDENTITY_SEALING_KEYS .* must be set in production"):
        load_keys(Settings(data_dir=tmp_path, environment="production"))
    keys = load_keys(
        Settings(data_dir=tmp_path, environment="production", sealing_keys={"2026": _key()}, index_key=_key())
    )
    assert keys.ring.current == "2026"


def test_encryption_round_trip_bound_to_its_kind(tmp_path: Path) -> None:
    pii = PersonalData(load_keys(Settings(data_dir=tmp_path)))
    blob = pii.encrypt("450102199001011231", kind="id_number")
    assert b"450102" not in blob and blob.startswith(b"v1.dev.")
    assert pii.decrypt(blob, kind="id_number") == "450102199001011231"
    assert pii.encrypt("x", kind="id_number") != pii.encrypt("x", kind="id_number"), "a fresh nonce each time"
    with pytest.raises(Unreadable):
        pii.decrypt(blob, kind="phone")


def test_blind_index_is_keyed_and_separates_kinds(tmp_path: Path) -> None:
    one = PersonalData(load_keys(Settings(data_dir=tmp_path, index_key=_key())))
    two = PersonalData(load_keys(Settings(data_dir=tmp_path, index_key=_key())))
    assert one.index("13800000001", kind="phone") == one.index("13800000001", kind="phone")
    assert one.index("13800000001", kind="phone") != two.index("13800000001", kind="phone")
    assert one.index("13800000001", kind="phone") != one.index("13800000001", kind="id_number")
