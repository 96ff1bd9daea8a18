"""Tickets: numbers per queue and day (one atomic upsert of the day's counter, so concurrent issuers never
share a number), walk-ins, appointment check-ins (our copy of application's appointments), the wait
estimate, and the no-show sweep. Functions flush, never commit."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.hall import TicketExpired, TicketIssued
from gov_standards.china_time import china_date
from hall import domain
from hall.domain import Source, Status
from hall.errors import (
    AlreadyCheckedIn,
    AppointmentNotFound,
    AppointmentNotToday,
    PriorityGroupUnknown,
    TicketNotFound,
)
from hall.models import Appointment, Attendance, Hall, HallQueue, Ticket, TicketCounter, WindowQueue

ExpiryReason = Literal["skipped", "unanswered", "closed"]


def about(hall: Hall, ticket: Ticket) -> dict[str, str]:
    """The fields every ``hall.ticket.*`` event names its ticket by (no person: the number only)."""
    return {"ticket_id": str(ticket.id), "hall_id": str(hall.id), "region": hall.region, "number": ticket.number}


async def next_seq(session: AsyncSession, *, queue_id: uuid.UUID, day: date) -> int:
    """The next number of ``queue_id`` on ``day``: INSERT ... ON CONFLICT DO UPDATE ... RETURNING takes the
    counter row's lock, so two issuers at once get consecutive numbers, never the same."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(TicketCounter)
        .values(queue_id=queue_id, day=day, last=1)
        .on_conflict_do_update(index_elements=["queue_id", "day"], set_={"last": TicketCounter.last + 1})
        .returning(TicketCounter.last)
    )
    return int((await session.execute(statement)).scalar_one())


async def issue(
    session: AsyncSession,
    *,
    hall: Hall,
    queue: HallQueue,
    source: Source,
    now: datetime,
    priority_group: str | None = None,
    appointment: Appointment | None = None,
    holder: str | None = None,
) -> Ticket:
    if priority_group is not None and priority_group not in queue.priority_groups:
        raise PriorityGroupUnknown(f"queue {queue.code} gives priority to {queue.priority_groups or 'no group'}")
    day = china_date(now)
    seq = await next_seq(session, queue_id=queue.id, day=day)
    ticket = Ticket(
        id=uuid.uuid4(),
        hall_id=hall.id,
        queue_id=queue.id,
        origin_queue_id=queue.id,
        day=day,
        seq=seq,
        number=domain.ticket_number(queue.code, seq),
        source=source.value,
        priority_group=priority_group,
        appointment_id=appointment.appointment_id if appointment else None,
        slot_start=appointment.slot_start if appointment else None,
        slot_end=appointment.slot_end if appointment else None,
        holder=holder,
        status=Status.WAITING.value,
        issued_at=now,
        queued_at=now,
        calls=0,
        transfers=0,
    )
    session.add(ticket)
    await session.flush()
    await publish(
        session,
        TicketIssued(
            **about(hall, ticket),
            queue_code=queue.code,
            day=day,
            source=source.value,
            appointment_id=ticket.appointment_id,
            priority_group=priority_group,
            issued_at=now,
        ),
    )
    return ticket


async def appointment_for(session: AsyncSession, *, hall: Hall, reference: str, lock: bool = True) -> Appointment:
    query = sa.select(Appointment).where(Appointment.reference == reference)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None or found.status != "booked" or found.appointment_hall_id != hall.appointment_hall_id:
        raise AppointmentNotFound()
    return found


async def check_in(
    session: AsyncSession, *, hall: Hall, queue: HallQueue, appointment: Appointment, source: Source, now: datetime
) -> Ticket:
    """The appointment's ticket (once: a second check-in is refused with the first ticket's id)."""
    if appointment.ticket_id is not None:
        raise AlreadyCheckedIn(ticket_id=str(appointment.ticket_id))
    if china_date(appointment.slot_start) != china_date(now):
        raise AppointmentNotToday(f"the appointment is on {china_date(appointment.slot_start).isoformat()}")
    ticket = await issue(
        session,
        hall=hall,
        queue=queue,
        source=Source.APPOINTMENT,
        now=now,
        appointment=appointment,
        holder=appointment.holder,
    )
    appointment.ticket_id = ticket.id
    return ticket


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID, *, lock: bool = False) -> Ticket:
    query = sa.select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    ticket = (await session.execute(query)).scalar_one_or_none()
    if ticket is None:
        raise TicketNotFound()
    return ticket


def _in_slot(now: datetime, early: timedelta) -> sa.ColumnElement[bool]:
    return sa.and_(Ticket.appointment_id.is_not(None), Ticket.slot_start <= now + early, Ticket.slot_end > now)


def rank_expression(now: datetime, early: timedelta) -> sa.ColumnElement[int]:
    """:func:`hall.domain.call_rank` as SQL, so that the database picks (and locks) only the one ticket."""
    return sa.case(
        (_in_slot(now, early), int(domain.Rank.APPOINTMENT_IN_SLOT)),
        (Ticket.priority_group.is_not(None), int(domain.Rank.PRIORITY_GROUP)),
        else_=int(domain.Rank.ARRIVAL),
    )


def calling_order(now: datetime, early: timedelta) -> tuple[Any, ...]:
    """ORDER BY of a queue's waiting tickets: the rank; then appointments in their slot by slot, everyone
    else by arrival (in the queue: a transferred ticket arrives when transferred)."""
    by_slot = sa.case((_in_slot(now, early), Ticket.slot_start), else_=Ticket.queued_at)
    return (rank_expression(now, early), by_slot, Ticket.queued_at, Ticket.seq, Ticket.id)


async def waiting_ahead(session: AsyncSession, ticket: Ticket, *, now: datetime, early: timedelta) -> list[uuid.UUID]:
    """The waiting tickets of the ticket's queue in calling order, up to and without it."""
    ids = list(
        await session.scalars(
            sa.select(Ticket.id)
            .where(Ticket.queue_id == ticket.queue_id, Ticket.status == Status.WAITING.value, Ticket.day == ticket.day)
            .order_by(*calling_order(now, early))
        )
    )
    return ids[: ids.index(ticket.id)] if ticket.id in ids else ids


async def open_windows(session: AsyncSession, queue_id: uuid.UUID) -> int:
    query = (
        sa.select(sa.func.count(sa.distinct(Attendance.window_id)))
        .join(WindowQueue, WindowQueue.window_id == Attendance.window_id)
        .where(WindowQueue.queue_id == queue_id, Attendance.signed_out_at.is_(None))
    )
    return int(await session.scalar(query) or 0)


async def average_service(session: AsyncSession, queue_id: uuid.UUID, day: date) -> timedelta | None:
    rows = (
        await session.execute(
            sa.select(Ticket.served_at, Ticket.finished_at).where(
                Ticket.queue_id == queue_id, Ticket.day == day, Ticket.status == Status.FINISHED.value
            )
        )
    ).all()
    spans = [f - s for s, f in rows if s is not None and f is not None]
    return sum(spans, timedelta()) / len(spans) if spans else None


async def estimate(session: AsyncSession, *, queue_id: uuid.UUID, ahead: int, day: date) -> int:
    wait = domain.estimated_wait(
        ahead, await open_windows(session, queue_id), await average_service(session, queue_id, day)
    )
    return int(wait.total_seconds() // 60)


async def expire_no_shows(session: AsyncSession, *, now: datetime) -> list[Ticket]:
    """Called tickets nobody answered within their queue's ``no_show_minutes``, and tickets still waiting
    from an earlier day, expire. Locked with SKIP LOCKED: a window acting on a ticket keeps it."""
    today = china_date(now)
    called = (
        sa.select(Ticket)
        .join(HallQueue, HallQueue.id == Ticket.queue_id)
        .where(Ticket.status == Status.CALLED.value)
        .order_by(Ticket.called_at)
        .limit(500)
        .with_for_update(skip_locked=True, of=Ticket)
    )
    stale = (
        sa.select(Ticket)
        .where(Ticket.status == Status.WAITING.value, Ticket.day < today)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    expired: list[Ticket] = []
    queues = {q.id: q for q in await session.scalars(sa.select(HallQueue))}
    for ticket in (await session.scalars(called)).all():
        queue = queues[ticket.queue_id]
        if ticket.called_at is not None and ticket.called_at + timedelta(minutes=queue.no_show_minutes) <= now:
            await expire(session, ticket=ticket, queue=queue, reason="unanswered", now=now)
            expired.append(ticket)
    for ticket in (await session.scalars(stale)).all():
        await expire(session, ticket=ticket, queue=queues[ticket.queue_id], reason="closed", now=now)
        expired.append(ticket)
    return expired


async def expire(
    session: AsyncSession, *, ticket: Ticket, queue: HallQueue, reason: ExpiryReason, now: datetime
) -> None:
    hall = await session.get(Hall, ticket.hall_id)
    assert hall is not None
    ticket.status, ticket.expired_reason, ticket.finished_at = Status.EXPIRED.value, reason, now
    await publish(
        session,
        TicketExpired(
            **about(hall, ticket),
            queue_code=queue.code,
            reason=reason,
            expired_at=now,
        ),
    )
