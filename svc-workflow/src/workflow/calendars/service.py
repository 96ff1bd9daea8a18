"""The working-day calendar stored as data per year; 2025 and 2026 are loaded by the migration."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_standards.calendar import WorkingCalendar, YearCalendar, bundled_years, parse_year
from workflow.models import CalendarYear


async def load(session: AsyncSession) -> WorkingCalendar:
    """Every stored year (a few rows), as a calendar."""
    rows = await session.scalars(sa.select(CalendarYear))
    return WorkingCalendar({r.year: parse_year(r.year, r.holidays, r.makeup_workdays) for r in rows})


async def put_year(
    session: AsyncSession, *, year: YearCalendar, source: str, now: datetime
) -> tuple[CalendarYear, bool]:
    """Store (or replace) a year's arrangement; returns the row and whether it was new."""
    row = await session.get(CalendarYear, year.year)
    created = row is None
    if row is None:
        row = CalendarYear(year=year.year)
        session.add(row)
    row.holidays = sorted(d.isoformat() for d in year.holidays)
    row.makeup_workdays = sorted(d.isoformat() for d in year.makeup_workdays)
    row.source = source
    row.updated_at = now
    await session.flush()
    return row, created


def bundled_rows() -> list[dict[str, object]]:
    """The shipped years as table rows (for the migration that loads them)."""
    return [
        {
            "year": y.year,
            "holidays": sorted(d.isoformat() for d in y.holidays),
            "makeup_workdays": sorted(d.isoformat() for d in y.makeup_workdays),
            "source": "State Council notices (bundled)",
        }
        for y in bundled_years().values()
    ]
