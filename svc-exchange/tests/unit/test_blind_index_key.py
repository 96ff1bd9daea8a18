"""The blind-index key of imported ID numbers (issue 15, finding 10): production does not start without a
key of its own (missing, or the published development key), with an error naming the setting and never its
value; imported identifiers are hashed under it."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from exchange.identifiers import blind_index
from exchange.main import create_app
from exchange.settings import Settings
from gov_common.crypto import KeyConfigError, development_key, load_keys

ID_NUMBER = "450102199001011231"


def production(tmp_path: Path, **options: object) -> Settings:
    ring = {"k1": base64.b64encode(secrets.token_bytes(32)).decode()}  # the key ring is not what is tested
    return Settings(environment="production", data_dir=tmp_path, sealing_keys=ring, **options)


@pytest.mark.parametrize("key", [None, base64.b64encode(development_key("exchange", "index")).decode()])
def test_production_refuses_to_start_without_a_key_of_its_own(tmp_path: Path, key: str | None) -> None:
    settings = production(tmp_path) if key is None else production(tmp_path, index_key=key)
    with pytest.raises(KeyConfigError, match="EXCHANGE_INDEX_KEY") as refused:
        create_app(settings)
    if key is not None:
        assert key not in str(refused.value), "the error never shows the value"


def test_production_hashes_with_its_own_key(tmp_path: Path) -> None:
    own = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = production(tmp_path, index_key=own)
    assert create_app(settings) is not None
    mine, development = load_keys(settings, service="exchange").index, load_keys(Settings(), service="exchange").index
    assert blind_index(mine, ID_NUMBER) != blind_index(development, ID_NUMBER)
