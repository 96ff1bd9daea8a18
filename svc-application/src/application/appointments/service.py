"""Halls, windows, slots and appointments (预约); each booking, change and cancellation is an
``application.appointment.*`` event (the hall service checks appointments in from them). A slot is never overbooked: each window's load row is
raised only by a guarded update (``booked < capacity``), which PostgreSQL re-checks after a concurrent
writer commits. Functions flush, never commit."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from application.appointments.schemas import HallCreate
from application.errors import AppointmentNotFound, HallNotFound, InvalidState, SlotFull, SlotNotBookable
from application.models import Appointment, Hall, HallWindow, SlotLoad
from application.workdays import is_slot, slot_starts
from gov_common.calendars import load_calendar
from gov_contracts import publish
from gov_contracts.application import AppointmentBooked, AppointmentCancelled, AppointmentChanged
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import utcnow

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a window
BOOKING_HORIZON = timedelta(days=60)


def new_reference() -> str:
    return "YY" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


async def create_hall(
    session: AsyncSession, *, hall_in: HallCreate, hall_id: uuid.UUID | None = None
) -> tuple[Hall, list[HallWindow]]:
    """A hall and its windows; ``hall_id`` is for demo data whose id other services' demos name."""
    hall = Hall(
        id=hall_id or uuid.uuid4(),
        name=hall_in.name,
        region=hall_in.region,
        address=hall_in.address,
        periods=[list(p) for p in hall_in.periods],
        slot_minutes=hall_in.slot_minutes,
        created_at=utcnow(),
    )
    session.add(hall)
    await session.flush()
    windows = [
        HallWindow(id=uuid.uuid4(), hall_id=hall.id, name=w.name, capacity_per_slot=w.capacity_per_slot)
        for w in hall_in.windows
    ]
    session.add_all(windows)
    await session.flush()
    return hall, windows


async def get_hall(session: AsyncSession, hall_id: uuid.UUID) -> Hall:
    hall = await session.get(Hall, hall_id)
    if hall is None:
        raise HallNotFound()
    return hall


async def windows_of(session: AsyncSession, hall_id: uuid.UUID) -> list[HallWindow]:
    rows = await session.scalars(sa.select(HallWindow).where(HallWindow.hall_id == hall_id).order_by(HallWindow.name))
    return list(rows)


async def slots_of(session: AsyncSession, hall: Hall, day: date) -> list[tuple[datetime, int, int]]:
    """(start, capacity, booked) of every slot of ``day``."""
    windows = await windows_of(session, hall.id)
    capacity = sum(w.capacity_per_slot for w in windows)
    starts = slot_starts(await load_calendar(session), day, hall.periods, hall.slot_minutes)
    if not starts:
        return []
    loads = await session.execute(
        sa.select(SlotLoad.slot_start, sa.func.sum(SlotLoad.booked))
        .where(SlotLoad.window_id.in_([w.id for w in windows]), SlotLoad.slot_start.in_(starts))
        .group_by(SlotLoad.slot_start)
    )
    booked = {start.timestamp(): int(n) for start, n in loads.all()}
    return [(s, capacity, booked.get(s.timestamp(), 0)) for s in starts]


def check_bookable(calendar: WorkingCalendar, hall: Hall, start: datetime) -> None:
    now = utcnow()
    if start <= now or start > now + BOOKING_HORIZON:
        raise SlotNotBookable(f"book a slot in the next {BOOKING_HORIZON.days} days")
    if not is_slot(calendar, start, hall.periods, hall.slot_minutes):
        raise SlotNotBookable("not a slot of this hall (closed that day, or not a slot start)")


async def take_slot(session: AsyncSession, *, hall: Hall, start: datetime) -> HallWindow:
    """Hold one place at the first window with room in the slot starting at ``start``."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for window in await windows_of(session, hall.id):
        await session.execute(
            insert(SlotLoad)
            .values(window_id=window.id, slot_start=start, booked=0, capacity=window.capacity_per_slot)
            .on_conflict_do_nothing()
        )
        taken = await session.execute(
            sa.update(SlotLoad)
            .where(
                SlotLoad.window_id == window.id,
                SlotLoad.slot_start == start,
                SlotLoad.booked < SlotLoad.capacity,
            )
            .values(booked=SlotLoad.booked + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) == 1:
            return window
    raise SlotFull("every window is fully booked in that slot; choose another")


async def release_slot(session: AsyncSession, *, window_id: uuid.UUID, start: datetime) -> None:
    await session.execute(
        sa.update(SlotLoad)
        .where(SlotLoad.window_id == window_id, SlotLoad.slot_start == start, SlotLoad.booked > 0)
        .values(booked=SlotLoad.booked - 1)
        .execution_options(synchronize_session=False)
    )


async def book(
    session: AsyncSession, *, hall: Hall, start: datetime, subject: str, application_id: uuid.UUID | None
) -> tuple[Appointment, HallWindow]:
    check_bookable(await load_calendar(session), hall, start)
    window = await take_slot(session, hall=hall, start=start)
    now = utcnow()
    appointment = Appointment(
        id=uuid.uuid4(),
        reference=new_reference(),
        hall_id=hall.id,
        window_id=window.id,
        slot_start=start,
        subject=subject,
        application_id=application_id,
        status="booked",
        created_at=now,
        updated_at=now,
    )
    session.add(appointment)
    await session.flush()
    await publish(
        session,
        AppointmentBooked(
            appointment_id=str(appointment.id),
            hall_id=str(hall.id),
            reference=appointment.reference,
            subject=subject,
            application_id=str(application_id) if application_id else None,
            slot_start=start,
            slot_end=start + timedelta(minutes=hall.slot_minutes),
            booked_at=now,
        ),
    )
    return appointment, window


async def get_appointment(session: AsyncSession, appointment_id: uuid.UUID, *, lock: bool = False) -> Appointment:
    query = sa.select(Appointment).where(Appointment.id == appointment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise AppointmentNotFound()
    return found


async def change(session: AsyncSession, *, appointment: Appointment, start: datetime) -> HallWindow:
    if appointment.status != "booked":
        raise InvalidState("a cancelled appointment cannot be changed")
    hall = await get_hall(session, appointment.hall_id)
    check_bookable(await load_calendar(session), hall, start)
    window = await take_slot(session, hall=hall, start=start)  # the new place first: a full slot changes nothing
    await release_slot(session, window_id=appointment.window_id, start=appointment.slot_start)
    appointment.window_id, appointment.slot_start, appointment.updated_at = window.id, start, utcnow()
    await publish(
        session,
        AppointmentChanged(
            appointment_id=str(appointment.id),
            hall_id=str(hall.id),
            slot_start=start,
            slot_end=start + timedelta(minutes=hall.slot_minutes),
            changed_at=appointment.updated_at,
        ),
    )
    return window


async def cancel(session: AsyncSession, *, appointment: Appointment) -> None:
    if appointment.status != "booked":
        raise InvalidState("the appointment is already cancelled")
    await release_slot(session, window_id=appointment.window_id, start=appointment.slot_start)
    appointment.status, appointment.updated_at = "cancelled", utcnow()
    await publish(
        session,
        AppointmentCancelled(
            appointment_id=str(appointment.id), hall_id=str(appointment.hall_id), cancelled_at=appointment.updated_at
        ),
    )
