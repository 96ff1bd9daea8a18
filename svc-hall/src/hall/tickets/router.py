"""Tickets (取号): the front desk issues walk-in tickets and checks appointments in; a person checks in their
own appointment and reads their tickets; the queues' waiting counts and estimates."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Page
from gov_standards.china_time import china_date
from hall import access
from hall.deps import ContextDep, HallContext
from hall.domain import Source, Status
from hall.errors import NotHallStaff, NotYourAppointment, TicketNotFound
from hall.halls import service as halls
from hall.models import Hall, HallQueue, HallWindow, IdempotencyRecord, Ticket
from hall.tickets import service
from hall.tickets.schemas import CheckIn, QueueState, TicketCreate, TicketRead

router = APIRouter(prefix="/v1", tags=["tickets"])
Operator = Annotated[Principal, scoped(access.SCOPE_OPERATE)]
Taker = Annotated[Principal, scoped(access.SCOPE_TAKE)]


async def ticket_read(session: AsyncSession, ticket: Ticket, context: HallContext | None = None) -> TicketRead:
    queue = await session.get(HallQueue, ticket.queue_id)
    window = await session.get(HallWindow, ticket.window_id) if ticket.window_id else None
    ahead = minutes = None
    if context is not None and ticket.status == Status.WAITING.value:
        before = await service.waiting_ahead(session, ticket, now=context.now(), early=context.early)
        ahead = len(before)
        minutes = await service.estimate(session, queue_id=ticket.queue_id, ahead=ahead, day=ticket.day)
    return TicketRead(
        id=ticket.id,
        hall_id=ticket.hall_id,
        number=ticket.number,
        queue=queue.code if queue else "",
        day=ticket.day,
        source=ticket.source,
        priority_group=ticket.priority_group,
        appointment_id=ticket.appointment_id,
        slot_start=ticket.slot_start,
        slot_end=ticket.slot_end,
        status=ticket.status,
        issued_at=ticket.issued_at,
        window=window.name if window else None,
        calls=ticket.calls,
        first_called_at=ticket.first_called_at,
        called_at=ticket.called_at,
        served_at=ticket.served_at,
        finished_at=ticket.finished_at,
        expired_reason=ticket.expired_reason,
        ahead=ahead,
        estimated_wait_minutes=minutes,
    )


async def staff_hall(session: AsyncSession, principal: Principal, hall_id: uuid.UUID) -> Hall:
    hall = await halls.get_hall(session, hall_id)
    if not access.is_hall_staff(principal, hall.region):
        raise NotHallStaff()
    return hall


@router.post(
    "/halls/{hall_id}/tickets",
    status_code=201,
    response_model=TicketRead,
    summary="Issue a walk-in ticket at the front desk (hall staff); Idempotency-Key optional",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def issue_at_desk(
    hall_id: uuid.UUID,
    ticket_in: TicketCreate,
    request: Request,
    session: SessionDep,
    principal: Operator,
    context: ContextDep,
    key: idempotency.OptionalKey,
) -> JSONResponse:
    hall = await staff_hall(session, principal, hall_id)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope=f"tickets.desk.{hall.id}",
        key=key,
        body=ticket_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/tickets/{claim.record.body['id']}")
    queue = await halls.queue_by_code(session, hall.id, ticket_in.queue, lock=True)
    ticket = await service.issue(
        session, hall=hall, queue=queue, source=Source.DESK, now=context.now(), priority_group=ticket_in.priority_group
    )
    body = (await ticket_read(session, ticket, context)).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/tickets/{ticket.id}")


@router.post(
    "/halls/{hall_id}/check-ins",
    status_code=201,
    response_model=TicketRead,
    summary="Check an appointment in: its holder, or the hall's front desk; the ticket goes ahead within its slot",
)
async def check_in(
    hall_id: uuid.UUID,
    check_in_in: CheckIn,
    request: Request,
    session: SessionDep,
    principal: Taker,
    context: ContextDep,
) -> JSONResponse:
    hall = await halls.get_hall(session, hall_id)
    appointment = await service.appointment_for(session, hall=hall, reference=check_in_in.reference)
    if not access.is_hall_staff(principal, hall.region) and appointment.holder != principal.subject:
        raise NotYourAppointment()
    queue = await halls.queue_by_code(session, hall.id, check_in_in.queue, lock=True)
    source = Source.DESK if principal.kind == "staff" else Source.APPOINTMENT
    ticket = await service.check_in(
        session, hall=hall, queue=queue, appointment=appointment, source=source, now=context.now()
    )
    body = (await ticket_read(session, ticket, context)).model_dump(mode="json")
    return created(request, JSONResponse(body, status_code=201), f"/v1/tickets/{ticket.id}")


@router.get("/tickets", response_model=Page[TicketRead], summary="My tickets of today (a person)")
async def my_tickets(session: SessionDep, principal: Taker, context: ContextDep) -> Page[TicketRead]:
    rows = await session.scalars(
        sa.select(Ticket)
        .where(Ticket.holder == principal.subject, Ticket.day == china_date(context.now()))
        .order_by(Ticket.issued_at)
        .limit(50)
    )
    return Page(items=[await ticket_read(session, t, context) for t in rows])


@router.get("/tickets/{ticket_id}", response_model=TicketRead, summary="A ticket: its holder or the hall's staff")
async def get_ticket(ticket_id: uuid.UUID, session: SessionDep, principal: Taker, context: ContextDep) -> TicketRead:
    ticket = await service.get_ticket(session, ticket_id)
    hall = await halls.get_hall(session, ticket.hall_id)
    if ticket.holder != principal.subject and not access.is_hall_staff(principal, hall.region):
        raise TicketNotFound()
    return await ticket_read(session, ticket, context)


@router.get(
    "/halls/{hall_id}/queues", response_model=Page[QueueState], summary="Waiting counts and estimates per queue"
)
async def queue_states(
    hall_id: uuid.UUID, session: SessionDep, _principal: Taker, context: ContextDep
) -> Page[QueueState]:
    hall = await halls.get_hall(session, hall_id)
    today = china_date(context.now())
    states = []
    for queue in await halls.queues_of(session, hall.id):
        waiting = int(
            await session.scalar(
                sa.select(sa.func.count()).where(
                    Ticket.queue_id == queue.id, Ticket.status == Status.WAITING.value, Ticket.day == today
                )
            )
            or 0
        )
        minutes = await service.estimate(session, queue_id=queue.id, ahead=waiting, day=today)
        states.append(QueueState(code=queue.code, name=queue.name, waiting=waiting, estimated_wait_minutes=minutes))
    return Page(items=states)
