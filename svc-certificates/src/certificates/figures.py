"""Figures for monitoring: when each department's current seal key was made
(``gov_certificates_seal_key_created_seconds{department}``), so that an alert warns before a key outlives
the rotation policy (deploy/monitoring/alerts.yaml, GovSealKeyDueForRotation)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import sqlalchemy as sa
from fastapi import FastAPI

from certificates.models import SealKey
from gov_common.db import Database
from gov_common.telemetry import Attributes, SampledGauge

SAMPLE_SECONDS = 300.0  # keys change by the year; a query every five minutes is plenty

seal_key_created = SampledGauge(
    "gov.certificates.seal_key.created",
    unit="s",
    description="when each department's current (signing) seal key was made, as a Unix time",
)
log = logging.getLogger(__name__)


async def sample_seal_keys(db: Database) -> dict[Attributes, float]:
    """Each department's current key's creation time (the newest one not retired)."""
    async with db.transaction() as session:
        rows = await session.execute(
            sa.select(SealKey.department_code, sa.func.max(SealKey.created_at))
            .where(SealKey.retired_at.is_(None))
            .group_by(SealKey.department_code)
        )
        return {(("department", code),): created.timestamp() for code, created in rows}


@asynccontextmanager
async def sampling(app: FastAPI) -> AsyncIterator[None]:
    """Keep :data:`seal_key_created` current while the service runs."""
    db: Database = app.state.runtime.db

    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            try:
                seal_key_created.set(app, await sample_seal_keys(db))
            except Exception as exc:  # the database's outage shows in readiness; keep the last figures
                log.debug("could not read the seal keys: %r", exc)
            # A stop waits for a sample under way (never cancelled inside a transaction: on SQLite it
            # holds the write lock), then ends the sleep at once.
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)

    task = asyncio.create_task(loop(), name="sample-seal-keys")
    try:
        yield
    finally:
        stop.set()
        await task
        seal_key_created.forget(app)
