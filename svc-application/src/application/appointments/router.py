"""Halls and appointments: staff admins set up halls and windows; applicants book, change and cancel a slot;
hall acceptors look an appointment up by its reference."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from application import access
from application.applications import service as applications
from application.appointments import service
from application.appointments.schemas import (
    AppointmentChange,
    AppointmentCreate,
    AppointmentRead,
    HallCreate,
    HallRead,
    SlotRead,
    WindowRead,
)
from application.errors import AppointmentNotFound
from application.models import Appointment, Hall, HallWindow, IdempotencyRecord
from gov_common import idempotency
from gov_common.auth import Principal, PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created
from gov_common.pagination import IsoDate, Page
from gov_common.policy import STAFF_ADMIN, admin_of
from gov_standards.regions import region_covers

router = APIRouter(prefix="/v1", tags=["appointments"])


def hall_read(hall: Hall, windows: list[HallWindow]) -> HallRead:
    return HallRead(
        id=hall.id,
        name=hall.name,
        region=hall.region,
        address=hall.address,
        periods=hall.periods,
        slot_minutes=hall.slot_minutes,
        windows=[WindowRead(id=w.id, name=w.name, capacity_per_slot=w.capacity_per_slot) for w in windows],
    )


def appointment_read(a: Appointment, window_name: str) -> AppointmentRead:
    return AppointmentRead(
        id=a.id,
        reference=a.reference,
        hall_id=a.hall_id,
        window=window_name,
        slot_start=a.slot_start,
        application_id=a.application_id,
        status=a.status,
        created_at=a.created_at,
    )


async def _window_name(session: SessionDep, window_id: uuid.UUID) -> str:
    window = await session.get(HallWindow, window_id)
    return window.name if window else ""


@router.post(
    "/halls",
    status_code=201,
    response_model=HallRead,
    summary="Set up a hall and its windows (staff admin)",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_WRITE)],
)
async def create_hall(
    hall_in: HallCreate, request: Request, response: Response, session: SessionDep, principal: PrincipalDep
) -> HallRead:
    if not admin_of(principal, hall_in.region, role=STAFF_ADMIN):
        raise Forbidden("staff admins of the hall's region set up halls")
    hall, windows = await service.create_hall(session, hall_in=hall_in)
    created(request, response, f"/v1/halls/{hall.id}")
    return hall_read(hall, windows)


@router.get(
    "/halls",
    response_model=Page[HallRead],
    summary="Halls, optionally of one region subtree (one page: up to 200)",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_READ)],
)
async def list_halls(
    session: SessionDep, _principal: PrincipalDep, region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None
) -> Page[HallRead]:
    halls = list(await session.scalars(sa.select(Hall).order_by(Hall.region, Hall.name).limit(200)))
    if region:
        halls = [h for h in halls if region_covers(region, h.region)]
    return Page(items=[hall_read(h, await service.windows_of(session, h.id)) for h in halls])


@router.get(
    "/halls/{hall_id}",
    response_model=HallRead,
    summary="One hall and its windows",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_READ)],
)
async def get_hall(hall_id: uuid.UUID, session: SessionDep, _principal: PrincipalDep) -> HallRead:
    hall = await service.get_hall(session, hall_id)
    return hall_read(hall, await service.windows_of(session, hall.id))


@router.get(
    "/halls/{hall_id}/slots",
    response_model=Page[SlotRead],
    summary="The slots of a day and their room (one page: the whole day)",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_READ)],
)
async def list_slots(hall_id: uuid.UUID, day: IsoDate, session: SessionDep, _principal: PrincipalDep) -> Page[SlotRead]:
    hall = await service.get_hall(session, hall_id)
    return Page(
        items=[
            SlotRead(start=s, capacity=c, booked=b, available=max(0, c - b))
            for s, c, b in await service.slots_of(session, hall, day)
        ]
    )


def _ensure_applicant_kind(principal: Principal) -> None:
    if principal.kind not in ("citizen", "enterprise"):
        raise Forbidden("citizens and enterprise agents book appointments")


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentRead,
    summary="Book a slot at a hall; never overbooked; Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_WRITE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def book(
    appointment_in: AppointmentCreate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    _ensure_applicant_kind(principal)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="appointments.create",
        key=idempotency_key,
        body=appointment_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/appointments/{claim.record.body['id']}")
    if appointment_in.application_id is not None:
        app = await applications.get_application(session, appointment_in.application_id)
        access.ensure_read(principal, app)
    hall = await service.get_hall(session, appointment_in.hall_id)
    appointment, window = await service.book(
        session,
        hall=hall,
        start=appointment_in.slot_start,
        subject=principal.subject,
        application_id=appointment_in.application_id,
    )
    body = appointment_read(appointment, window.name).model_dump(mode="json")
    return created(
        request, idempotency.remember(claim, status_code=201, body=body), f"/v1/appointments/{appointment.id}"
    )


@router.get(
    "/appointments",
    response_model=Page[AppointmentRead],
    summary="My appointments, by slot (one page: up to 100)",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_READ)],
)
async def my_appointments(session: SessionDep, principal: PrincipalDep) -> Page[AppointmentRead]:
    rows = await session.scalars(
        sa.select(Appointment)
        .where(Appointment.subject == principal.subject)
        .order_by(Appointment.slot_start)
        .limit(100)
    )
    return Page(items=[appointment_read(a, await _window_name(session, a.window_id)) for a in rows])


async def _own(session: SessionDep, principal: Principal, appointment_id: uuid.UUID) -> Appointment:
    appointment = await service.get_appointment(session, appointment_id, lock=True)
    if appointment.subject != principal.subject:
        raise AppointmentNotFound()
    return appointment


@router.get(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    summary="One of my appointments",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_READ)],
)
async def get_appointment(appointment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> AppointmentRead:
    appointment = await service.get_appointment(session, appointment_id)
    if appointment.subject != principal.subject:
        raise AppointmentNotFound()
    return appointment_read(appointment, await _window_name(session, appointment.window_id))


@router.get(
    "/appointments/by-reference/{reference}",
    response_model=AppointmentRead,
    summary="Look up a booking (hall staff)",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_READ)],
)
async def by_reference(reference: str, session: SessionDep, principal: PrincipalDep) -> AppointmentRead:
    appointment = await session.scalar(sa.select(Appointment).where(Appointment.reference == reference))
    hall = await session.get(Hall, appointment.hall_id) if appointment else None
    if appointment is None or hall is None or not access.is_hall_staff(principal, hall.region):
        raise AppointmentNotFound()
    return appointment_read(appointment, await _window_name(session, appointment.window_id))


@router.patch(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    summary="Move to another slot",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_WRITE)],
)
async def change(
    appointment_id: uuid.UUID, change_in: AppointmentChange, session: SessionDep, principal: PrincipalDep
) -> AppointmentRead:
    appointment = await _own(session, principal, appointment_id)
    window = await service.change(session, appointment=appointment, start=change_in.slot_start)
    return appointment_read(appointment, window.name)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=AppointmentRead,
    summary="Cancel",
    dependencies=[scoped(access.SCOPE_APPOINTMENTS_WRITE)],
)
async def cancel(appointment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> AppointmentRead:
    appointment = await _own(session, principal, appointment_id)
    await service.cancel(session, appointment=appointment)
    return appointment_read(appointment, await _window_name(session, appointment.window_id))
