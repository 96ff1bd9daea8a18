"""Times keep their offset on both backends, so the embedded default serves RFC 3339 like PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from gov_common.db import UtcDateTime, new_metadata
from gov_common.messaging import outbox_event
from gov_common.outbox import _add_event

from .conftest import Backend

metadata = new_metadata()
moment_table = sa.Table(
    "moment", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", UtcDateTime())
)


async def test_times_come_back_aware_and_in_utc(backend: Backend) -> None:
    async with backend.db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    beijing = datetime(2026, 11, 27, 18, 30, tzinfo=timezone(timedelta(hours=8)))
    async with backend.db.transaction() as session:
        await session.execute(moment_table.insert().values(id=1, at=beijing))
        await _add_event(session, topic="t", type="x.happened", source="/t", subject="s", data={})
    async with backend.db.transaction() as session:
        at = await session.scalar(sa.select(moment_table.c.at))
        event_time = await session.scalar(sa.select(outbox_event.c.time))
    assert at == beijing and at.tzinfo is not None and at.utcoffset() == timedelta(0)
    assert event_time is not None and event_time.tzinfo is not None


async def test_naive_times_are_refused(backend: Backend) -> None:
    async with backend.db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    with pytest.raises(sa.exc.StatementError, match="naive"):
        async with backend.db.transaction() as session:
            await session.execute(moment_table.insert().values(id=2, at=datetime(2026, 1, 1)))
