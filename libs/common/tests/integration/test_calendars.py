"""gov_common.calendars on SQLite and PostgreSQL: a received year overlays the bundled one, a redelivered
older change never overwrites a newer one, and the loader sees each change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from gov_common import calendars
from gov_common.db import Database
from gov_common.testing import database_with, fresh_pg_database
from gov_standards.calendar import parse_year

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FRIDAY = date(2026, 11, 27)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", calendars.metadata) as database:
            yield database
        return
    async with (
        fresh_pg_database(request.getfixturevalue("pg_admin_dsn")) as url,
        database_with(url, calendars.metadata) as database,
    ):
        yield database


async def test_nothing_received_counts_with_the_bundled_years(db: Database) -> None:
    async with db.transaction() as session:
        calendar = await calendars.load_calendar(session)
    assert calendar.known_years() == [2025, 2026] and calendar.is_working_day(FRIDAY)


async def test_the_latest_change_of_a_year_wins_whatever_the_order_of_arrival(db: Database) -> None:
    newer = parse_year(2026, [FRIDAY.isoformat()], [])
    older = parse_year(2026, [], [])
    async with db.transaction() as session:
        assert await calendars.store_year(session, newer, source="newer", changed_at=AT)
    async with db.transaction() as session:
        assert not await calendars.store_year(session, older, source="older", changed_at=AT - timedelta(hours=1))
        calendar = await calendars.load_calendar(session)
    assert not calendar.is_working_day(FRIDAY), "the older change arrived late and was not kept"
    assert not calendar.is_working_day(date(2025, 10, 1)), "other years stay bundled"

    async with db.transaction() as session:
        assert await calendars.store_year(session, older, source="corrected", changed_at=AT + timedelta(hours=1))
        assert (await calendars.load_calendar(session)).is_working_day(FRIDAY), "the loader sees the new change"
        # 2026 as received replaces the bundled 2026 whole (its National Day is no longer off here).
        assert (await calendars.load_calendar(session)).is_working_day(date(2026, 10, 8))
