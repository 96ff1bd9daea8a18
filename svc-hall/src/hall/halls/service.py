"""Halls, their queues and windows, and attendance at a window (数字考勤). Functions flush, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.hall import WindowSignedIn, WindowSignedOut
from hall.domain import Status
from hall.errors import (
    DuplicateCode,
    HallNotFound,
    NotSignedIn,
    QueueInUse,
    QueueNotFound,
    QueueRetired,
    WindowInUse,
    WindowNotFound,
    WindowRetired,
    WindowTaken,
)
from hall.halls.schemas import HallCreate, HallUpdate, QueueIn, QueueUpdate, WindowIn, WindowUpdate
from hall.models import Attendance, Hall, HallQueue, HallWindow, Ticket, WindowQueue

OPEN_TICKET = (Status.WAITING.value, Status.CALLED.value, Status.SERVING.value)


def _new_queue(hall: Hall, q: QueueIn) -> HallQueue:
    return HallQueue(
        id=uuid.uuid4(),
        hall_id=hall.id,
        code=q.code,
        name=q.name,
        department=q.department,
        category=q.category,
        priority_groups=q.groups(),
        no_show_minutes=q.no_show_minutes,
    )


async def create_hall(session: AsyncSession, *, hall_in: HallCreate, now: datetime) -> Hall:
    codes = [q.code for q in hall_in.queues]
    if len(set(codes)) != len(codes):
        raise DuplicateCode("each queue of a hall has its own letter")
    unknown = sorted({c for w in hall_in.windows for c in w.queues} - set(codes))
    if unknown:
        raise QueueNotFound(f"windows name queues the hall does not have: {unknown}")
    hall = Hall(
        id=uuid.uuid4(),
        name=hall_in.name,
        region=hall_in.region,
        address=hall_in.address,
        opening_hours=[list(p) for p in hall_in.opening_hours],
        appointment_hall_id=str(hall_in.appointment_hall_id) if hall_in.appointment_hall_id else None,
        created_at=now,
    )
    session.add(hall)
    await session.flush()
    queues = {q.code: _new_queue(hall, q) for q in hall_in.queues}
    session.add_all(queues.values())
    await session.flush()
    for w in hall_in.windows:
        window = HallWindow(id=uuid.uuid4(), hall_id=hall.id, name=w.name, department=w.department)
        session.add(window)
        await session.flush()
        session.add_all(WindowQueue(window_id=window.id, queue_id=queues[c].id) for c in sorted(set(w.queues)))
    await session.flush()
    return hall


async def get_hall(session: AsyncSession, hall_id: uuid.UUID, *, lock: bool = False) -> Hall:
    """The hall or 404; ``lock`` holds it for a change (two admins' edits of one hall go one after the other)."""
    hall = await session.get(Hall, hall_id, with_for_update=lock or None, populate_existing=lock)
    if hall is None:
        raise HallNotFound()
    return hall


async def queues_of(session: AsyncSession, hall_id: uuid.UUID) -> list[HallQueue]:
    return list(
        await session.scalars(sa.select(HallQueue).where(HallQueue.hall_id == hall_id).order_by(HallQueue.code))
    )


async def queue_by_code(
    session: AsyncSession, hall_id: uuid.UUID, code: str, *, lock: bool = False, open_only: bool = True
) -> HallQueue:
    """The hall's queue with that letter; a retired one only with ``open_only=False``. ``lock`` holds the row
    shared (for a ticket into it: retiring waits, other tickets do not) or, for changes, exclusively."""
    query = sa.select(HallQueue).where(HallQueue.hall_id == hall_id, HallQueue.code == code)
    if lock:
        query = query.with_for_update(read=open_only).execution_options(populate_existing=True)
    queue = await session.scalar(query)
    if queue is None:
        raise QueueNotFound()
    if open_only and queue.retired_at is not None:
        raise QueueRetired()
    return queue


# ---------------------------------------------------------------- changes by the hall's admin


async def update_hall(session: AsyncSession, *, hall: Hall, hall_in: HallUpdate, now: datetime) -> Hall:
    if hall_in.name is not None:
        hall.name = hall_in.name
    if hall_in.address is not None:
        hall.address = hall_in.address
    if hall_in.opening_hours is not None:
        hall.opening_hours = [list(p) for p in hall_in.opening_hours]
    hall.updated_at = now
    await session.flush()
    return hall


async def add_queue(session: AsyncSession, *, hall: Hall, queue_in: QueueIn, now: datetime) -> HallQueue:
    """A new queue; a letter once used (even by a retired queue) is not given again: its tickets keep it."""
    taken = await session.scalar(
        sa.select(HallQueue.id).where(HallQueue.hall_id == hall.id, HallQueue.code == queue_in.code)
    )
    if taken is not None:
        raise DuplicateCode("the hall has (or had) a queue with that letter")
    queue = _new_queue(hall, queue_in)
    session.add(queue)
    hall.updated_at = now
    await session.flush()
    return queue


async def update_queue(
    session: AsyncSession, *, hall: Hall, queue: HallQueue, queue_in: QueueUpdate, now: datetime
) -> HallQueue:
    for field in queue_in.model_fields_set:
        value = getattr(queue_in, field)
        if field == "priority_groups":
            value = sorted(set(value or []))
        elif field in ("name", "no_show_minutes") and value is None:
            continue  # required: left as it is
        setattr(queue, field, value)
    hall.updated_at = now
    await session.flush()
    return queue


async def retire_queue(session: AsyncSession, *, hall: Hall, queue: HallQueue, now: datetime) -> HallQueue:
    """The queue takes no more tickets and leaves its windows; refused while a ticket is open in it (the
    caller holds the queue row exclusively, so no ticket comes in meanwhile)."""
    if queue.retired_at is not None:
        return queue
    open_ticket = await session.scalar(
        sa.select(Ticket.id).where(Ticket.queue_id == queue.id, Ticket.status.in_(OPEN_TICKET)).limit(1)
    )
    if open_ticket is not None:
        raise QueueInUse()
    queue.retired_at = hall.updated_at = now
    await session.execute(sa.delete(WindowQueue).where(WindowQueue.queue_id == queue.id))
    await session.flush()
    return queue


async def _open_queue_ids(session: AsyncSession, hall: Hall, codes: list[str]) -> list[uuid.UUID]:
    rows = {
        q.code: q
        for q in await session.scalars(
            sa.select(HallQueue).where(HallQueue.hall_id == hall.id, HallQueue.code.in_(set(codes)))
        )
    }
    unknown = sorted(set(codes) - set(rows))
    if unknown:
        raise QueueNotFound(f"the hall has no queues {unknown}")
    retired = sorted(c for c, q in rows.items() if q.retired_at is not None)
    if retired:
        raise QueueRetired(f"queues {retired} are retired")
    return [rows[c].id for c in sorted(rows)]


async def add_window(session: AsyncSession, *, hall: Hall, window_in: WindowIn, now: datetime) -> HallWindow:
    queue_ids = await _open_queue_ids(session, hall, window_in.queues)
    window = HallWindow(id=uuid.uuid4(), hall_id=hall.id, name=window_in.name, department=window_in.department)
    session.add(window)
    await session.flush()
    session.add_all(WindowQueue(window_id=window.id, queue_id=q) for q in queue_ids)
    hall.updated_at = now
    await session.flush()
    return window


async def update_window(
    session: AsyncSession, *, hall: Hall, window: HallWindow, window_in: WindowUpdate, now: datetime
) -> HallWindow:
    if window.retired_at is not None:
        raise WindowRetired()
    if window_in.name is not None:
        window.name = window_in.name
    if "department" in window_in.model_fields_set:
        window.department = window_in.department
    if window_in.queues is not None:
        queue_ids = await _open_queue_ids(session, hall, window_in.queues)
        await session.execute(sa.delete(WindowQueue).where(WindowQueue.window_id == window.id))
        session.add_all(WindowQueue(window_id=window.id, queue_id=q) for q in queue_ids)
    hall.updated_at = now
    await session.flush()
    return window


async def retire_window(session: AsyncSession, *, hall: Hall, window: HallWindow, now: datetime) -> HallWindow:
    """Nobody signs in at it any more; refused while someone is signed in or a ticket is called to it (the
    caller holds the window row, as sign-in and calling do)."""
    if window.retired_at is not None:
        return window
    busy = (
        await open_attendance(session, window.id) is not None
        or await session.scalar(
            sa.select(Ticket.id).where(Ticket.window_id == window.id, Ticket.status.in_(OPEN_TICKET)).limit(1)
        )
        is not None
    )
    if busy:
        raise WindowInUse()
    window.retired_at = hall.updated_at = now
    await session.flush()
    return window


async def windows_of(session: AsyncSession, hall_id: uuid.UUID) -> list[HallWindow]:
    query = sa.select(HallWindow).where(HallWindow.hall_id == hall_id).order_by(HallWindow.name)
    return list(await session.scalars(query))


async def hall_queue(session: AsyncSession, hall: Hall, code: str) -> HallQueue:
    """The hall's queue with that letter, held for a change (retired ones too)."""
    return await queue_by_code(session, hall.id, code, lock=True, open_only=False)


async def window_queue_codes(session: AsyncSession, window_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        sa.select(HallQueue.code)
        .join(WindowQueue, WindowQueue.queue_id == HallQueue.id)
        .where(WindowQueue.window_id == window_id)
        .order_by(HallQueue.code)
    )
    return list(rows)


async def get_window(session: AsyncSession, window_id: uuid.UUID, *, lock: bool = False) -> HallWindow:
    query = sa.select(HallWindow).where(HallWindow.id == window_id)
    if lock:  # one caller at a time per window: a double press never calls two tickets
        query = query.with_for_update().execution_options(populate_existing=True)
    window = (await session.execute(query)).scalar_one_or_none()
    if window is None:
        raise WindowNotFound()
    return window


async def open_attendance(session: AsyncSession, window_id: uuid.UUID) -> Attendance | None:
    query = sa.select(Attendance).where(Attendance.window_id == window_id, Attendance.signed_out_at.is_(None))
    return await session.scalar(query)


async def sign_in(session: AsyncSession, *, window: HallWindow, staff: str, now: datetime) -> Attendance:
    """Take the window (the window row is locked by the caller); signing in again is a no-op."""
    if window.retired_at is not None:
        raise WindowRetired()
    current = await open_attendance(session, window.id)
    if current is not None:
        if current.staff != staff:
            raise WindowTaken()
        return current
    # One window at a time per person: signing in elsewhere leaves the former window.
    elsewhere = await session.scalars(
        sa.select(Attendance).where(Attendance.staff == staff, Attendance.signed_out_at.is_(None))
    )
    for other in elsewhere:
        await _close(session, other, now)
    attendance = Attendance(id=uuid.uuid4(), window_id=window.id, hall_id=window.hall_id, staff=staff, signed_in_at=now)
    session.add(attendance)
    await session.flush()
    await publish(
        session,
        WindowSignedIn(window_id=str(window.id), hall_id=str(window.hall_id), staff=staff, signed_in_at=now),
    )
    return attendance


async def _close(session: AsyncSession, attendance: Attendance, now: datetime) -> None:
    attendance.signed_out_at = now
    await publish(
        session,
        WindowSignedOut(
            window_id=str(attendance.window_id),
            hall_id=str(attendance.hall_id),
            staff=attendance.staff,
            signed_in_at=attendance.signed_in_at,
            signed_out_at=now,
        ),
    )


async def sign_out(session: AsyncSession, *, window: HallWindow, staff: str, now: datetime) -> Attendance:
    current = await open_attendance(session, window.id)
    if current is None or current.staff != staff:
        raise NotSignedIn("you are not signed in at this window")
    await _close(session, current, now)
    return current


async def attendance_of(
    session: AsyncSession, *, hall_id: uuid.UUID, since: datetime, until: datetime
) -> list[Attendance]:
    query = (
        sa.select(Attendance)
        .where(Attendance.hall_id == hall_id, Attendance.signed_in_at >= since, Attendance.signed_in_at < until)
        .order_by(Attendance.signed_in_at)
        .limit(1000)
    )
    return list(await session.scalars(query))
