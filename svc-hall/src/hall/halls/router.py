"""Halls: staff admins set up a hall with its queues and windows; anyone taking tickets reads it; the hall's
staff sign in and out at a window (the attendance record, 数字考勤), which supervisors read."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created
from gov_common.pagination import IsoDate, Page
from gov_standards.china_time import end_of_china_day, start_of_china_day
from gov_standards.regions import region_prefix
from hall import access
from hall.deps import ContextDep
from hall.errors import NotHallStaff, WindowNotFound
from hall.halls import service
from hall.halls.schemas import (
    QUEUE_CODE,
    AttendanceRead,
    HallCreate,
    HallRead,
    HallUpdate,
    QueueIn,
    QueueRead,
    QueueUpdate,
    WindowIn,
    WindowRead,
    WindowUpdate,
)
from hall.models import Attendance, Hall, HallWindow

router = APIRouter(prefix="/v1", tags=["halls"])
Admin = Annotated[Principal, scoped(access.SCOPE_ADMIN)]
Operator = Annotated[Principal, scoped(access.SCOPE_OPERATE)]
Reader = Annotated[Principal, scoped(access.SCOPE_TAKE)]
FiguresReader = Annotated[Principal, scoped(access.SCOPE_FIGURES)]
QueueCode = Annotated[str, Path(pattern=QUEUE_CODE)]


async def hall_read(session: AsyncSession, hall: Hall) -> HallRead:
    windows = []
    for w in await service.windows_of(session, hall.id):
        attendance = await service.open_attendance(session, w.id)
        windows.append(
            WindowRead(
                id=w.id,
                name=w.name,
                department=w.department,
                queues=await service.window_queue_codes(session, w.id),
                staff=attendance.staff if attendance else None,
                retired_at=w.retired_at,
            )
        )
    return HallRead(
        id=hall.id,
        name=hall.name,
        region=hall.region,
        address=hall.address,
        opening_hours=hall.opening_hours,
        appointment_hall_id=hall.appointment_hall_id,
        queues=[
            QueueRead(
                id=q.id,
                code=q.code,
                name=q.name,
                department=q.department,
                category=q.category,
                priority_groups=q.priority_groups,
                no_show_minutes=q.no_show_minutes,
                retired_at=q.retired_at,
            )
            for q in await service.queues_of(session, hall.id)
        ],
        windows=windows,
    )


def attendance_read(a: Attendance) -> AttendanceRead:
    return AttendanceRead(
        id=a.id, window_id=a.window_id, staff=a.staff, signed_in_at=a.signed_in_at, signed_out_at=a.signed_out_at
    )


@router.post("/halls", status_code=201, response_model=HallRead, summary="Set up a hall, its queues and windows")
async def create_hall(
    hall_in: HallCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Admin,
    context: ContextDep,
) -> HallRead:
    if not access.is_admin(principal, hall_in.region):
        raise Forbidden("staff admins of the hall's region set up halls")
    hall = await service.create_hall(session, hall_in=hall_in, now=context.now())
    created(request, response, f"/v1/halls/{hall.id}")
    return await hall_read(session, hall)


@router.get(
    "/halls",
    response_model=Page[HallRead],
    summary="Halls of a region subtree, or the one serving an appointment hall of svc-application (one page: 100)",
)
async def list_halls(
    session: SessionDep,
    _principal: Reader,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    appointment_hall_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[HallRead]:
    """What a front desk needs to check an appointment in: the hall whose ``appointment_hall_id`` is the
    appointment's ``hall_id``. Halls are public facts (names, queues, windows); who may act in one is decided
    by each operation."""
    query = sa.select(Hall).order_by(Hall.region, Hall.name).limit(100)
    if appointment_hall_id is not None:
        query = query.where(Hall.appointment_hall_id == appointment_hall_id)
    if region is not None:
        query = query.where(Hall.region.startswith(region_prefix(region)))
    return Page(items=[await hall_read(session, h) for h in await session.scalars(query)])


@router.get("/halls/{hall_id}", response_model=HallRead, summary="A hall, its queues and windows")
async def get_hall(hall_id: uuid.UUID, session: SessionDep, _principal: Reader) -> HallRead:
    return await hall_read(session, await service.get_hall(session, hall_id))


async def _admin_hall(session: AsyncSession, principal: Principal, hall_id: uuid.UUID) -> Hall:
    """The hall, held for a change by a staff admin of its region; anyone else is refused."""
    hall = await service.get_hall(session, hall_id, lock=True)
    if not access.is_admin(principal, hall.region):
        raise Forbidden("staff admins of the hall's region change it")
    return hall


@router.patch("/halls/{hall_id}", response_model=HallRead, summary="Change a hall's name, address or opening hours")
async def update_hall(
    hall_id: uuid.UUID, hall_in: HallUpdate, session: SessionDep, principal: Admin, context: ContextDep
) -> HallRead:
    hall = await _admin_hall(session, principal, hall_id)
    return await hall_read(session, await service.update_hall(session, hall=hall, hall_in=hall_in, now=context.now()))


@router.post("/halls/{hall_id}/queues", status_code=201, response_model=HallRead, summary="Add a queue")
async def add_queue(
    hall_id: uuid.UUID, queue_in: QueueIn, session: SessionDep, principal: Admin, context: ContextDep
) -> HallRead:
    hall = await _admin_hall(session, principal, hall_id)
    await service.add_queue(session, hall=hall, queue_in=queue_in, now=context.now())
    return await hall_read(session, hall)


@router.patch("/halls/{hall_id}/queues/{code}", response_model=HallRead, summary="Rename or change a queue")
async def update_queue(
    hall_id: uuid.UUID,
    code: QueueCode,
    queue_in: QueueUpdate,
    session: SessionDep,
    principal: Admin,
    context: ContextDep,
) -> HallRead:
    hall = await _admin_hall(session, principal, hall_id)
    queue = await service.hall_queue(session, hall, code)
    await service.update_queue(session, hall=hall, queue=queue, queue_in=queue_in, now=context.now())
    return await hall_read(session, hall)


@router.post(
    "/halls/{hall_id}/queues/{code}/retire",
    response_model=HallRead,
    summary="Retire a queue (no more tickets; its tickets keep their numbers); 409 while a ticket is open in it",
)
async def retire_queue(
    hall_id: uuid.UUID, code: QueueCode, session: SessionDep, principal: Admin, context: ContextDep
) -> HallRead:
    hall = await _admin_hall(session, principal, hall_id)
    queue = await service.hall_queue(session, hall, code)
    await service.retire_queue(session, hall=hall, queue=queue, now=context.now())
    return await hall_read(session, hall)


@router.post("/halls/{hall_id}/windows", status_code=201, response_model=HallRead, summary="Add a window")
async def add_window(
    hall_id: uuid.UUID, window_in: WindowIn, session: SessionDep, principal: Admin, context: ContextDep
) -> HallRead:
    hall = await _admin_hall(session, principal, hall_id)
    await service.add_window(session, hall=hall, window_in=window_in, now=context.now())
    return await hall_read(session, hall)


async def _admin_window(
    session: AsyncSession, principal: Principal, hall_id: uuid.UUID, window_id: uuid.UUID
) -> tuple[Hall, HallWindow]:
    hall = await _admin_hall(session, principal, hall_id)
    window = await service.get_window(session, window_id, lock=True)
    if window.hall_id != hall.id:
        raise WindowNotFound()
    return hall, window


@router.patch(
    "/halls/{hall_id}/windows/{window_id}",
    response_model=HallRead,
    summary="Rename a window or change the queues it serves",
)
async def update_window(
    hall_id: uuid.UUID,
    window_id: uuid.UUID,
    window_in: WindowUpdate,
    session: SessionDep,
    principal: Admin,
    context: ContextDep,
) -> HallRead:
    hall, window = await _admin_window(session, principal, hall_id, window_id)
    await service.update_window(session, hall=hall, window=window, window_in=window_in, now=context.now())
    return await hall_read(session, hall)


@router.post(
    "/halls/{hall_id}/windows/{window_id}/retire",
    response_model=HallRead,
    summary="Retire a window (its attendance and tickets stay); 409 while someone is signed in or a ticket is called",
)
async def retire_window(
    hall_id: uuid.UUID, window_id: uuid.UUID, session: SessionDep, principal: Admin, context: ContextDep
) -> HallRead:
    hall, window = await _admin_window(session, principal, hall_id, window_id)
    await service.retire_window(session, hall=hall, window=window, now=context.now())
    return await hall_read(session, hall)


@router.post("/windows/{window_id}/sign-in", response_model=AttendanceRead, summary="Sign in at a window (attendance)")
async def sign_in(
    window_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep
) -> AttendanceRead:
    window = await service.get_window(session, window_id, lock=True)
    hall = await service.get_hall(session, window.hall_id)
    if not access.is_hall_staff(principal, hall.region):
        raise NotHallStaff()
    return attendance_read(await service.sign_in(session, window=window, staff=principal.subject, now=context.now()))


@router.post("/windows/{window_id}/sign-out", response_model=AttendanceRead, summary="Leave a window")
async def sign_out(
    window_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep
) -> AttendanceRead:
    window = await service.get_window(session, window_id, lock=True)
    return attendance_read(await service.sign_out(session, window=window, staff=principal.subject, now=context.now()))


@router.get(
    "/halls/{hall_id}/attendance",
    response_model=Page[AttendanceRead],
    summary="Who sat at which window on a day (one page: up to 1000)",
)
async def attendance(
    hall_id: uuid.UUID, day: IsoDate, session: SessionDep, principal: FiguresReader
) -> Page[AttendanceRead]:
    hall = await service.get_hall(session, hall_id)
    if not access.reads_figures(principal, hall.region):
        raise NotHallStaff("supervisors and administrators of the hall's region read its attendance")
    rows = await service.attendance_of(
        session, hall_id=hall.id, since=start_of_china_day(day), until=end_of_china_day(day)
    )
    return Page(items=[attendance_read(a) for a in rows])
