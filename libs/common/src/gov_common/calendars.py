"""The I/O side of the working-day calendar in a service that counts with it but does not own it.

svc-workflow is the calendar's single source of truth (``PUT /v1/calendar/{year}``) and publishes each
changed year in full (``workflow.calendar_year.changed``, gov_contracts.calendar). A consuming service keeps
the years it received in a small table of its own (:func:`create_tables` from a migration, like the
outbox's), stores each received year with :func:`store_year` (gov_contracts.calendar.calendar_handlers wires
it to the event), and counts with :func:`load_calendar`: the bundled arrangements (gov_standards) overlaid
with the years received, so a service that has received nothing yet counts exactly as before.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.db import UtcDateTime, new_metadata
from gov_standards.calendar import WorkingCalendar, YearCalendar, default_calendar, parse_year
from gov_standards.china_time import utcnow

metadata = new_metadata()

received_calendar_year = sa.Table(
    "received_calendar_year",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("holidays", sa.JSON(), nullable=False),
    sa.Column("makeup_workdays", sa.JSON(), nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    # When workflow changed the year: a redelivered or reordered older change never overwrites a newer one.
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

# Parsed calendars by the content they were built from (years and change times): a few rows are read per
# call, the parsing and overlay happen once per change. Bounded: each distinct state is a few kilobytes.
_built: dict[tuple[tuple[int, str], ...], WorkingCalendar] = {}
_MAX_BUILT = 32


def create_tables() -> None:
    """Create the table from inside an Alembic migration (``upgrade``)."""
    from alembic import op

    metadata.create_all(op.get_bind(), tables=[received_calendar_year])


def drop_tables() -> None:
    """Drop the table from inside an Alembic migration (``downgrade``)."""
    from alembic import op

    metadata.drop_all(op.get_bind(), tables=[received_calendar_year])


async def store_year(session: AsyncSession, year: YearCalendar, *, source: str, changed_at: datetime) -> bool:
    """Keep ``year`` as received, unless a change made later is already stored; returns whether it was
    stored. Runs in the handler's transaction (never commits)."""
    holidays, makeup = year.as_lists()
    row = (
        await session.execute(
            sa.select(received_calendar_year.c.changed_at).where(received_calendar_year.c.year == year.year)
        )
    ).first()
    values = {"holidays": holidays, "makeup_workdays": makeup, "source": source, "changed_at": changed_at}
    if row is None:
        await session.execute(sa.insert(received_calendar_year).values(year=year.year, received_at=utcnow(), **values))
        return True
    if row.changed_at > changed_at:
        return False
    await session.execute(
        sa.update(received_calendar_year)
        .where(received_calendar_year.c.year == year.year)
        .values(received_at=utcnow(), **values)
    )
    return True


async def load_calendar(session: AsyncSession) -> WorkingCalendar:
    """The bundled calendar overlaid with every year received from svc-workflow."""
    rows = (await session.execute(sa.select(received_calendar_year).order_by(received_calendar_year.c.year))).all()
    key = tuple((r.year, r.changed_at.isoformat()) for r in rows)
    built = _built.get(key)
    if built is None:
        years = [parse_year(r.year, r.holidays, r.makeup_workdays) for r in rows]
        built = default_calendar().overlay(years)
        if len(_built) >= _MAX_BUILT:
            _built.clear()
        _built[key] = built
    return built
