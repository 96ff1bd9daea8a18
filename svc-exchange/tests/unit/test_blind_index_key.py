"""The blind-index key of imported ID numbers (issue 15, finding 10): production does not start without a
key of its own (missing, short or the documented development key), with an error naming the setting and
never its value; development keeps the documented key."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from exchange.identifiers import blind_index
from exchange.main import create_app
from exchange.settings import DEV_BLIND_INDEX_KEY, Settings

ID_NUMBER = "450102199001011231"


def production(tmp_path: Path, **options: object) -> Settings:
    ring = {"k1": base64.b64encode(secrets.token_bytes(32)).decode()}  # the key ring is not what is tested
    return Settings(environment="production", data_dir=tmp_path, secret_keys=ring, **options)


@pytest.mark.parametrize(
    ("key", "why"),
    [(None, "must be set in production"), (DEV_BLIND_INDEX_KEY, "not the development default"), ("short", "32")],
)
def test_production_refuses_to_start_without_a_key_of_its_own(tmp_path: Path, key: str | None, why: str) -> None:
    settings = production(tmp_path) if key is None else production(tmp_path, blind_index_key=key)
    with pytest.raises(RuntimeError, match="EXCHANGE_BLIND_INDEX_KEY") as refused:
        create_app(settings)
    assert why in str(refused.value)
    if key is not None:
        assert key not in str(refused.value).replace("at least 32", ""), "the error never shows the value"


def test_production_hashes_with_its_own_key(tmp_path: Path) -> None:
    own = secrets.token_hex(32)
    settings = production(tmp_path, blind_index_key=own)
    assert create_app(settings) is not None
    assert settings.effective_blind_index_key() == own
    assert blind_index(own, ID_NUMBER) != blind_index(DEV_BLIND_INDEX_KEY, ID_NUMBER)


def test_development_keeps_the_documented_key(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).effective_blind_index_key() == DEV_BLIND_INDEX_KEY
    assert Settings(data_dir=tmp_path, blind_index_key="mine").effective_blind_index_key() == "mine"
