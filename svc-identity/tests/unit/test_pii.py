"""Personal-data keys, encryption and the blind index."""

import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from identity.pii import KEY_FILE, PersonalData, load_keys
from identity.settings import Settings


def test_embedded_default_generates_keys_once(tmp_path: Path) -> None:
    first = load_keys(Settings(data_dir=tmp_path))
    second = load_keys(Settings(data_dir=tmp_path))
    assert first == second
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_production_needs_keys_from_settings(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="must be set in production"):
        load_keys(Settings(data_dir=tmp_path, environment="production"))
    key = "A" * 43 + "="
    keys = load_keys(Settings(data_dir=tmp_path, environment="production", pii_encryption_key=key, pii_index_key=key))
    assert keys.encryption == keys.wrap and not (tmp_path / KEY_FILE).exists()


def test_encryption_round_trip_bound_to_its_kind(tmp_path: Path) -> None:
    pii = PersonalData(load_keys(Settings(data_dir=tmp_path)))
    blob = pii.encrypt("450102199001011231", kind="id_number")
    assert b"450102" not in blob
    assert pii.decrypt(blob, kind="id_number") == "450102199001011231"
    assert pii.encrypt("x", kind="id_number") != pii.encrypt("x", kind="id_number"), "a fresh nonce each time"
    with pytest.raises(InvalidTag):
        pii.decrypt(blob, kind="phone")


def test_blind_index_is_keyed_and_separates_kinds(tmp_path: Path) -> None:
    one = PersonalData(load_keys(Settings(data_dir=tmp_path / "a")))
    two = PersonalData(load_keys(Settings(data_dir=tmp_path / "b")))
    assert one.index("13800000001", kind="phone") == one.index("13800000001", kind="phone")
    assert one.index("13800000001", kind="phone") != two.index("13800000001", kind="phone")
    assert one.index("13800000001", kind="phone") != one.index("13800000001", kind="id_number")
