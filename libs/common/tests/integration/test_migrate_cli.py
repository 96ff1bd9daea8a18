"""The migration Job's command on PostgreSQL: every service migrates, twice without harm."""

from __future__ import annotations

import importlib
import subprocess
import sys

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from gov_common.migrations import alembic_config


@pytest.mark.parametrize("service", ["catalog", "workflow"])
async def test_gov_migrate_upgrades_a_service_database(service: str, pg_url: str) -> None:
    env = {f"{service.upper()}_DATABASE_URL": pg_url, "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "gov_common.cli", service], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert "***" in done.stdout and "gov:gov" not in done.stdout, "the password is not printed"
    conn = await asyncpg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    finally:
        await conn.close()
    spec = importlib.import_module(f"{service}.main").SPEC
    head = ScriptDirectory.from_config(alembic_config(spec.migrations_dir, pg_url)).get_current_head()
    assert version == head
    assert {"outbox_event", "inbox_event"} <= tables


def test_unknown_service_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "gov_common.cli", "nosuch"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "not a service" in done.stderr
