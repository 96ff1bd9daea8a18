"""Fixtures for every test in the repository: the real PostgreSQL and Kafka test servers
(started by ``scripts/infra.sh up``, which ``make test`` runs), fresh databases and topics."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gov_common.db import Database
from gov_common.messaging import metadata as messaging_metadata
from gov_common.testing import database_with, fresh_pg_database


def _need(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"{var} is not set: run the tests with `make test` (it starts the real servers)")
    return value


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    return _need("GOV_TEST_PG_DSN")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _need("GOV_TEST_KAFKA_BOOTSTRAP")


@pytest.fixture
async def pg_url(pg_admin_dsn: str) -> AsyncIterator[str]:
    async with fresh_pg_database(pg_admin_dsn) as url:
        yield url


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database holding the outbox and inbox tables."""
    async with database_with(pg_url, messaging_metadata) as db:
        yield db


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}", messaging_metadata) as db:
        yield db


@pytest.fixture
def topic() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"
