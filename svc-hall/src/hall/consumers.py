"""Event handlers: application's ``application.appointment.*`` events keep our copy of the appointments of
the halls linked to application's (``hall.appointment_hall_id``), which their holders check in on arrival.
We keep every appointment (a hall may be linked after its appointments were booked)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import NotYetKnown
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.application import AppointmentBooked, AppointmentCancelled, AppointmentChanged
from hall.models import Appointment

APPOINTMENTS = EventHandlers(group="hall.appointments")


@APPOINTMENTS.on(AppointmentBooked)
async def booked(session: AsyncSession, event: AppointmentBooked, envelope: CloudEvent) -> None:
    appointment = await session.get(Appointment, event.appointment_id, with_for_update=True)
    if appointment is None:
        appointment = Appointment(appointment_id=event.appointment_id, status="booked", ticket_id=None)
        session.add(appointment)
    elif appointment.updated_at >= event.booked_at:
        return  # a change or cancellation arrived first (or this is a repeat)
    appointment.reference, appointment.appointment_hall_id = event.reference, event.hall_id
    appointment.holder, appointment.application_id = event.subject, event.application_id
    appointment.slot_start, appointment.slot_end, appointment.updated_at = (
        event.slot_start,
        event.slot_end,
        event.booked_at,
    )


@APPOINTMENTS.on(AppointmentChanged)
async def changed(session: AsyncSession, event: AppointmentChanged, envelope: CloudEvent) -> None:
    appointment = await session.get(Appointment, event.appointment_id, with_for_update=True)
    if appointment is None:
        raise NotYetKnown(f"appointment {event.appointment_id} not booked yet")
    if appointment.updated_at < event.changed_at:
        appointment.slot_start, appointment.slot_end = event.slot_start, event.slot_end
        appointment.updated_at = event.changed_at


@APPOINTMENTS.on(AppointmentCancelled)
async def cancelled(session: AsyncSession, event: AppointmentCancelled, envelope: CloudEvent) -> None:
    appointment = await session.get(Appointment, event.appointment_id, with_for_update=True)
    if appointment is None:
        raise NotYetKnown(f"appointment {event.appointment_id} not booked yet")
    appointment.status, appointment.updated_at = "cancelled", max(appointment.updated_at, event.cancelled_at)
