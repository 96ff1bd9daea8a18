"""Halls, their queues and windows, and attendance at a window (数字考勤). Functions flush, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.hall import WindowSignedIn, WindowSignedOut
from hall.errors import DuplicateCode, HallNotFound, NotSignedIn, QueueNotFound, WindowNotFound, WindowTaken
from hall.halls.schemas import HallCreate
from hall.models import Attendance, Hall, HallQueue, HallWindow, WindowQueue


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
        appointment_hall_id=str(hall_in.appointment_hall_id) if hall_in.appointment_hall_id else None,
        created_at=now,
    )
    session.add(hall)
    await session.flush()
    queues = {
        q.code: HallQueue(
            id=uuid.uuid4(),
            hall_id=hall.id,
            code=q.code,
            name=q.name,
            department=q.department,
            category=q.category,
            priority_groups=q.groups(),
            no_show_minutes=q.no_show_minutes,
        )
        for q in hall_in.queues
    }
    session.add_all(queues.values())
    await session.flush()
    for w in hall_in.windows:
        window = HallWindow(id=uuid.uuid4(), hall_id=hall.id, name=w.name, department=w.department)
        session.add(window)
        await session.flush()
        session.add_all(WindowQueue(window_id=window.id, queue_id=queues[c].id) for c in sorted(set(w.queues)))
    await session.flush()
    return hall


async def get_hall(session: AsyncSession, hall_id: uuid.UUID) -> Hall:
    hall = await session.get(Hall, hall_id)
    if hall is None:
        raise HallNotFound()
    return hall


async def queues_of(session: AsyncSession, hall_id: uuid.UUID) -> list[HallQueue]:
    return list(
        await session.scalars(sa.select(HallQueue).where(HallQueue.hall_id == hall_id).order_by(HallQueue.code))
    )


async def queue_by_code(session: AsyncSession, hall_id: uuid.UUID, code: str) -> HallQueue:
    queue = await session.scalar(sa.select(HallQueue).where(HallQueue.hall_id == hall_id, HallQueue.code == code))
    if queue is None:
        raise QueueNotFound()
    return queue


async def windows_of(session: AsyncSession, hall_id: uuid.UUID) -> list[HallWindow]:
    query = sa.select(HallWindow).where(HallWindow.hall_id == hall_id).order_by(HallWindow.name)
    return list(await session.scalars(query))


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
