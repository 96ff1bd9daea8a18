"""The workbench in-process on its own SQLite database, with no platform behind it (nothing listens at its
gateway address): for the tests of its mechanics that never reach the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gov_common.testing import serve_lifespan
from workbench.main import create_app
from workbench.settings import Settings

PUBLIC = "http://workbench.test"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, public_url=PUBLIC, gateway_url="http://127.0.0.1:9", log_json=False)
    async with serve_lifespan(create_app(settings)) as served:
        served.base_url = httpx.URL(PUBLIC)
        yield served
