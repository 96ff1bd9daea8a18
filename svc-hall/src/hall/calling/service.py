"""Calling (叫号): a window calls the next ticket of the queues it serves by the queue's rule, recalls,
starts, skips (a no-show), transfers and finishes. The next ticket is chosen and locked by one statement
with ``FOR UPDATE SKIP LOCKED``: two windows calling at once lock two different tickets, never the same.
Every call is a row of ``call``, which the screens stream. Functions flush, never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.hall import TicketCalled, TicketFinished, TicketTransferred
from gov_standards.china_time import china_date
from hall import domain
from hall.domain import Status
from hall.errors import InvalidTicketState, NotAtThisWindow, QueueNotFound, QueueRetired, WindowBusy
from hall.halls.service import open_attendance
from hall.models import Attendance, Call, Hall, HallQueue, HallWindow, Ticket, WindowQueue
from hall.tickets.service import about, calling_order, expire


async def attendance_at(session: AsyncSession, window: HallWindow, staff: str) -> Attendance:
    attendance = await open_attendance(session, window.id)
    if attendance is None or attendance.staff != staff:
        raise NotAtThisWindow()
    return attendance


async def current_ticket(session: AsyncSession, window: HallWindow) -> Ticket | None:
    query = sa.select(Ticket).where(
        Ticket.window_id == window.id, Ticket.status.in_([Status.CALLED.value, Status.SERVING.value])
    )
    return await session.scalar(query)


async def _record_call(
    session: AsyncSession, *, hall: Hall, queue: HallQueue, window: HallWindow, ticket: Ticket, now: datetime
) -> None:
    ticket.calls += 1
    ticket.called_at = now
    session.add(
        Call(
            hall_id=hall.id,
            ticket_id=ticket.id,
            number=ticket.number,
            window_name=window.name,
            call=ticket.calls,
            called_at=now,
        )
    )
    await publish(
        session,
        TicketCalled(
            **about(hall, ticket),
            queue_code=queue.code,
            window_id=str(window.id),
            window_name=window.name,
            call=ticket.calls,
            called_at=now,
        ),
    )
    await session.flush()


async def call_next(
    session: AsyncSession, *, hall: Hall, window: HallWindow, staff: str, now: datetime, early: timedelta
) -> Ticket | None:
    """The window (locked by the caller) calls the first waiting ticket of its queues by the rule; None when
    nobody waits."""
    await attendance_at(session, window, staff)
    if await current_ticket(session, window) is not None:
        raise WindowBusy()
    served = sa.select(WindowQueue.queue_id).where(WindowQueue.window_id == window.id)
    query = (
        sa.select(Ticket)
        .where(Ticket.queue_id.in_(served), Ticket.status == Status.WAITING.value, Ticket.day == china_date(now))
        .order_by(*calling_order(now, early))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    ticket = (await session.execute(query)).scalar_one_or_none()
    if ticket is None:
        return None
    queue = await session.get(HallQueue, ticket.queue_id)
    assert queue is not None
    ticket.status, ticket.window_id, ticket.staff = Status.CALLED.value, window.id, staff
    ticket.first_called_at = ticket.first_called_at or now
    await _record_call(session, hall=hall, queue=queue, window=window, ticket=ticket, now=now)
    return ticket


def _ensure(action: str, ticket: Ticket, window: HallWindow) -> None:
    if ticket.window_id != window.id and ticket.status != Status.WAITING.value:
        raise InvalidTicketState("the ticket is at another window")
    if not domain.admits(action, ticket.status):
        raise InvalidTicketState(f"cannot {action} a {ticket.status} ticket", current_status=ticket.status)


async def recall(
    session: AsyncSession, *, hall: Hall, window: HallWindow, ticket: Ticket, staff: str, now: datetime
) -> Ticket:
    await attendance_at(session, window, staff)
    _ensure("recall", ticket, window)
    queue = await session.get(HallQueue, ticket.queue_id)
    assert queue is not None
    await _record_call(session, hall=hall, queue=queue, window=window, ticket=ticket, now=now)
    return ticket


async def start(session: AsyncSession, *, window: HallWindow, ticket: Ticket, staff: str, now: datetime) -> Ticket:
    await attendance_at(session, window, staff)
    _ensure("start", ticket, window)
    ticket.status, ticket.served_at = Status.SERVING.value, now
    return ticket


async def skip(session: AsyncSession, *, window: HallWindow, ticket: Ticket, staff: str, now: datetime) -> Ticket:
    """The holder did not come to the window: a no-show (过号), the ticket expires."""
    await attendance_at(session, window, staff)
    _ensure("skip", ticket, window)
    queue = await session.get(HallQueue, ticket.queue_id)
    assert queue is not None
    await expire(session, ticket=ticket, queue=queue, reason="skipped", now=now)
    return ticket


async def finish(
    session: AsyncSession, *, hall: Hall, window: HallWindow, ticket: Ticket, staff: str, now: datetime
) -> Ticket:
    await attendance_at(session, window, staff)
    _ensure("finish", ticket, window)
    queue = await session.get(HallQueue, ticket.queue_id)
    assert queue is not None
    served_at = ticket.served_at or ticket.called_at or now
    ticket.status, ticket.served_at, ticket.finished_at = Status.FINISHED.value, served_at, now
    waited = (ticket.first_called_at or now) - ticket.issued_at
    await publish(
        session,
        TicketFinished(
            **about(hall, ticket),
            queue_code=queue.code,
            window_id=str(window.id),
            department=window.department or queue.department,
            staff=staff,
            waited_seconds=max(0, int(waited.total_seconds())),
            served_seconds=max(0, int((now - served_at).total_seconds())),
            finished_at=now,
        ),
    )
    return ticket


async def transfer(
    session: AsyncSession, *, hall: Hall, window: HallWindow, ticket: Ticket, staff: str, to_queue: str, now: datetime
) -> Ticket:
    """The ticket waits in another queue of the hall, keeping its number; it queues there from now."""
    await attendance_at(session, window, staff)
    _ensure("transfer", ticket, window)
    # Held shared: a queue being retired waits for the transfer (or the transfer sees it retired).
    target = await session.scalar(
        sa.select(HallQueue)
        .where(HallQueue.hall_id == hall.id, HallQueue.code == to_queue)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if target is None:
        raise QueueNotFound()
    if target.retired_at is not None:
        raise QueueRetired()
    source = await session.get(HallQueue, ticket.queue_id)
    assert source is not None
    if target.id == source.id:
        raise InvalidTicketState("the ticket is already in that queue", current_status=ticket.status)
    ticket.queue_id, ticket.status, ticket.window_id, ticket.staff = target.id, Status.WAITING.value, None, None
    ticket.queued_at, ticket.served_at, ticket.transfers = now, None, ticket.transfers + 1
    await publish(
        session,
        TicketTransferred(
            **about(hall, ticket),
            from_queue=source.code,
            to_queue=target.code,
            transferred_at=now,
        ),
    )
    return ticket
