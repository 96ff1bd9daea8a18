from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from gov_common.bus import EventBus
from gov_common.bus.embedded import EmbeddedBus
from gov_common.bus.kafka import KafkaBus
from gov_common.db import Database
from gov_common.messaging import metadata as messaging_metadata
from gov_common.testing import database_with, fresh_pg_database


@dataclass
class Backend:
    """The two ways the platform runs: embedded log + SQLite, or Kafka + PostgreSQL."""

    name: str
    bus: EventBus
    db: Database
    new_bus: Callable[[], EventBus]


@pytest.fixture(params=["embedded", "kafka"])
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def backend(backend_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with AsyncExitStack() as stack:
        if backend_name == "embedded":
            url = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
            log_path = tmp_path / "events.db"

            def new_bus() -> EventBus:
                return EmbeddedBus(log_path, poll_interval=0.02)
        else:
            url = await stack.enter_async_context(fresh_pg_database(request.getfixturevalue("pg_admin_dsn")))
            bootstrap = request.getfixturevalue("kafka_bootstrap")

            def new_bus() -> EventBus:
                return KafkaBus(bootstrap, client_id="contract-test")

        db = await stack.enter_async_context(database_with(url, messaging_metadata))
        bus = new_bus()
        await bus.start()
        stack.push_async_callback(bus.stop)
        yield Backend(backend_name, bus, db, new_bus)


async def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
