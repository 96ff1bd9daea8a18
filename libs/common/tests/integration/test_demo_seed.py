"""Demo data: loaded at start-up only when asked for, its lines left for the launcher, refused in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.messaging import metadata as messaging_metadata
from gov_common.service import ServiceSpec, create_service_app
from gov_common.settings import ServiceSettings
from gov_common.testing import serve_lifespan

calls: list[str] = []


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    calls.append(settings.service_name)
    assert await session.scalar(text("SELECT 1")) == 1
    return ["sign in as demo / demo"]


def app_with(tmp_path: Path, **settings: object):  # type: ignore[no-untyped-def]
    spec = ServiceSpec(
        name="demoed", title="Demo", description="", settings_cls=ServiceSettings, migrations_dir=tmp_path, demo=seed
    )
    return create_service_app(
        spec, ServiceSettings(service_name="demoed", data_dir=tmp_path, migrate_on_start=False, **settings)
    )


async def _create_tables(tmp_path: Path) -> None:
    from gov_common.testing import database_with

    async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'demoed.db'}", messaging_metadata):
        pass


async def test_demo_lines_written_when_enabled(tmp_path: Path) -> None:
    await _create_tables(tmp_path)
    calls.clear()
    async with serve_lifespan(app_with(tmp_path)) as client:
        assert (await client.get("/healthz")).status_code == 200
    assert calls == []
    async with serve_lifespan(app_with(tmp_path, demo_data=True)):
        pass
    assert calls == ["demoed"]
    assert (tmp_path / "demo" / "demoed.txt").read_text() == "sign in as demo / demo\n"


async def test_demo_refused_in_production(tmp_path: Path) -> None:
    await _create_tables(tmp_path)
    with pytest.raises(RuntimeError, match="production"):
        async with serve_lifespan(app_with(tmp_path, demo_data=True, environment="production")):
            pass
