"""The working-day calendar stored as data per year (2025 and 2026 are loaded by the migration). Workflow is
the platform's single source of truth: each change is published in full (``workflow.calendar_year.changed``)
and every service counting working days keeps a copy (gov_common.calendars)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.calendar import CalendarYearChanged
from gov_standards.calendar import WorkingCalendar, YearCalendar, bundled_years, parse_year
from workflow.models import CalendarYear


async def load(session: AsyncSession) -> WorkingCalendar:
    """Every stored year (a few rows), as a calendar."""
    rows = await session.scalars(sa.select(CalendarYear))
    return WorkingCalendar({r.year: parse_year(r.year, r.holidays, r.makeup_workdays) for r in rows})


async def put_year(
    session: AsyncSession, *, year: YearCalendar, source: str, now: datetime
) -> tuple[CalendarYear, bool]:
    """Store (or replace) a year's arrangement and publish it; returns the row and whether it was new."""
    row = await session.get(CalendarYear, year.year)
    created = row is None
    if row is None:
        row = CalendarYear(year=year.year)
        session.add(row)
    row.holidays, row.makeup_workdays = year.as_lists()
    row.source = source
    row.updated_at = now
    await session.flush()
    await publish(
        session,
        CalendarYearChanged(
            year=year.year,
            holidays=sorted(year.holidays),
            makeup_workdays=sorted(year.makeup_workdays),
            source=source,
            changed_at=now,
        ),
    )
    return row, created


def bundled_rows() -> list[dict[str, object]]:
    """The shipped years as table rows (for the migration that loads them)."""
    rows: list[dict[str, object]] = []
    for y in bundled_years().values():
        holidays, makeup = y.as_lists()
        rows.append(
            {
                "year": y.year,
                "holidays": holidays,
                "makeup_workdays": makeup,
                "source": "State Council notices (bundled)",
            }
        )
    return rows
