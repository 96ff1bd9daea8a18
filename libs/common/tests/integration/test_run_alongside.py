"""A service's own background work runs inside the foundation's lifespan and stops before it, in reverse."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sqlalchemy as sa

from gov_common.messaging import metadata as messaging_metadata
from gov_common.service import (
    ServiceSpec,
    background_task,
    create_service_app,
    run_alongside,
    worker_running,
)
from gov_common.settings import ServiceSettings
from gov_common.testing import database_with, serve_lifespan


class Worker:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def start(self) -> None:
        self.log.append("worker started")

    async def stop(self) -> None:
        self.log.append("worker stopped")


async def test_parts_run_for_the_apps_life_in_order(tmp_path: Path) -> None:
    async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", messaging_metadata):
        pass
    log: list[str] = []
    ticks = asyncio.Event()

    @asynccontextmanager
    async def client() -> AsyncIterator[None]:
        log.append("client opened")
        yield
        log.append("client closed")

    async def sweep() -> None:
        while True:
            ticks.set()
            await asyncio.sleep(0.01)

    spec = ServiceSpec(name="svc", title="t", description="", settings_cls=ServiceSettings, migrations_dir=tmp_path)
    app = create_service_app(spec, ServiceSettings(service_name="svc", data_dir=tmp_path, migrate_on_start=False))
    run_alongside(app, client, lambda: worker_running(Worker(log)), lambda: background_task("sweep", sweep))
    async with serve_lifespan(app) as http:
        await asyncio.wait_for(ticks.wait(), 5)
        assert (await http.get("/readyz")).status_code == 200
        assert log == ["client opened", "worker started"]
    assert log == ["client opened", "worker started", "worker stopped", "client closed"]


async def test_a_disabled_worker_is_not_started_but_stopped_cleanly() -> None:
    log: list[str] = []
    async with worker_running(Worker(log), enabled=False):
        pass
    assert log == ["worker stopped"]


async def test_a_background_task_that_swallows_a_cancellation_still_ends() -> None:
    """What Python 3.11's wait_for does when the cancellation races its call: the first CancelledError never
    reaches the task's code. The block's end asks again, and the task ends instead of running on."""
    rounds: list[int] = []

    async def stubborn() -> None:
        swallowed = False
        while True:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed = True
                asyncio.current_task().uncancel()  # type: ignore[union-attr]
            rounds.append(1)

    async with asyncio.timeout(10):
        async with background_task("stubborn", stubborn):
            await asyncio.sleep(0.2)
    assert rounds, "it ran"
    count = len(rounds)
    await asyncio.sleep(0.2)
    assert len(rounds) == count, "and stopped"


async def test_a_stop_lets_the_figures_sample_end_its_transaction(tmp_path: Path) -> None:
    """The figures sampler reads the outbox backlog in a transaction (SQLite's write lock). A service that stops
    while it reads waits for the read to end rather than cancel it half-way: a transaction cancelled with its
    rollback could leave the lock held after the service has gone, and the next start find the database locked."""
    async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", messaging_metadata):
        pass
    spec = ServiceSpec(name="svc", title="t", description="", settings_cls=ServiceSettings, migrations_dir=tmp_path)
    app = create_service_app(spec, ServiceSettings(service_name="svc", data_dir=tmp_path, migrate_on_start=False))
    runtime = app.state.runtime
    reading, finished = asyncio.Event(), asyncio.Event()

    async def slow_backlog() -> int:
        async with runtime.db.transaction() as session:
            await session.execute(sa.text("SELECT count(*) FROM outbox_event"))
            reading.set()
            await asyncio.sleep(1.5)  # longer than the 1 s between the stop's cancellations
        finished.set()
        return 0

    runtime.relay.backlog = slow_backlog
    async with serve_lifespan(app):
        await asyncio.wait_for(reading.wait(), 5)
    assert finished.is_set(), "the sample ended its transaction before the service stopped"
    with sqlite3.connect(tmp_path / "svc.db", timeout=0.1) as db:  # nobody holds the write lock any more
        db.execute("BEGIN IMMEDIATE")
        db.rollback()
