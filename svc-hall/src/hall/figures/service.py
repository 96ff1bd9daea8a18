"""The day's figures of many halls at once: one SQL statement groups the tickets and kiosk prints of a page of
halls by hall, whatever the number of halls. Its sums are the integers :class:`hall.domain.Tally` adds up per
ticket, so each hall's ``total`` is what ``GET /v1/halls/{id}/figures`` computes for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from gov_common.pagination import decode_cursor, encode_cursor
from hall import domain
from hall.models import Hall, KioskPrint, Ticket


class SecondsBetween(FunctionElement[int]):
    """Whole seconds from ``earlier`` to ``later``, cut toward zero as ``int(timedelta.total_seconds())`` does."""

    type = sa.BigInteger()
    inherit_cache = True

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)


@compiles(SecondsBetween)
def _seconds_postgresql(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(TRUNC(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS BIGINT)"


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps a time as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff': its whole seconds by strftime, its
    # microseconds from the text (julianday would round them to milliseconds); integer division truncates.
    def micros(column: str) -> str:
        return f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"

    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({micros(later)} - {micros(earlier)}) / 1000000)"


@dataclass(frozen=True)
class HallDay:
    """One hall's figures for the day, as the per-hall endpoint words them."""

    hall: Hall
    total: dict[str, float | int | None]
    waiting: int
    appointments: int
    appointment_punctuality: float | None
    kiosk_prints: int


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.count(sa.case((condition, 1)))


def _sum(value: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(value), 0)


def halls_cursor(hall: Hall) -> str:
    return encode_cursor({"r": hall.region, "n": hall.name, "i": str(hall.id)})


async def figures_of_halls(
    session: AsyncSession, *, region_prefix: str, day: date, limit: int, cursor: str | None
) -> tuple[list[HallDay], str | None]:
    """The halls whose region starts with ``region_prefix`` (``""``: all), ordered by region, name and id as
    ``GET /v1/halls`` lists them, ``limit`` after ``cursor``, each with its figures of ``day``; and the cursor of
    the next page (None on the last)."""
    after = decode_cursor(cursor, r=str, n=str, i=uuid.UUID)
    page_query = sa.select(Hall.id).where(Hall.region.startswith(region_prefix, autoescape=True))
    if after is not None:
        page_query = page_query.where(sa.tuple_(Hall.region, Hall.name, Hall.id) > (after["r"], after["n"], after["i"]))
    page = page_query.order_by(Hall.region, Hall.name, Hall.id).limit(limit + 1).cte("page")
    on_page = sa.select(page.c.id).scalar_subquery()

    expired_unseen = sa.and_(
        Ticket.status == domain.Status.EXPIRED, Ticket.expired_reason.in_(("skipped", "unanswered"))
    )
    served = sa.and_(
        Ticket.status == domain.Status.FINISHED, Ticket.finished_at.is_not(None), Ticket.served_at.is_not(None)
    )
    appointment = sa.and_(Ticket.source == domain.Source.APPOINTMENT, Ticket.slot_start.is_not(None))
    tickets = (
        sa.select(
            Ticket.hall_id,
            sa.func.count().label("issued"),
            _count(served).label("finished"),
            _count(expired_unseen).label("no_shows"),
            _count(Ticket.first_called_at.is_not(None)).label("waited"),
            _sum(SecondsBetween(Ticket.first_called_at, Ticket.issued_at)).label("wait_seconds"),
            _sum(sa.case((served, SecondsBetween(Ticket.finished_at, Ticket.served_at)))).label("service_seconds"),
            _count(Ticket.status == domain.Status.WAITING).label("waiting"),
            _count(appointment).label("appointments"),
            _count(sa.and_(appointment, Ticket.issued_at <= Ticket.slot_start)).label("punctual"),
        )
        .where(Ticket.hall_id.in_(on_page), Ticket.day == day)
        .group_by(Ticket.hall_id)
        .subquery("tickets")
    )
    prints = (
        sa.select(KioskPrint.hall_id, sa.func.count().label("prints"))
        .where(KioskPrint.hall_id.in_(on_page), KioskPrint.day == day)
        .group_by(KioskPrint.hall_id)
        .subquery("prints")
    )
    query = (
        sa.select(Hall, tickets, prints.c.prints)
        .join(page, page.c.id == Hall.id)
        .outerjoin(tickets, tickets.c.hall_id == Hall.id)
        .outerjoin(prints, prints.c.hall_id == Hall.id)
        .order_by(Hall.region, Hall.name, Hall.id)
    )
    found: list[HallDay] = []
    for row in (await session.execute(query)).all():
        n = row._mapping
        tally = domain.Tally(
            issued=n["issued"] or 0,
            finished=n["finished"] or 0,
            no_shows=n["no_shows"] or 0,
            wait_seconds=n["wait_seconds"] or 0,
            waited=n["waited"] or 0,
            service_seconds=n["service_seconds"] or 0,
            served=n["finished"] or 0,
        )
        appointments = n["appointments"] or 0
        found.append(
            HallDay(
                hall=n[Hall],
                total=tally.summary(),
                waiting=n["waiting"] or 0,
                appointments=appointments,
                appointment_punctuality=round(n["punctual"] / appointments, 4) if appointments else None,
                kiosk_prints=n["prints"] or 0,
            )
        )
    more = len(found) > limit
    found = found[:limit]
    return found, halls_cursor(found[-1].hall) if more else None
