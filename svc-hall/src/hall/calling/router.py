"""Calling (叫号) at a window: only the staff signed in there call the next ticket, recall, start serving,
skip a no-show, transfer and finish. Finishing answers what the window's device sends to evaluation to ask
the person for a rating (channel ``hall_device``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from hall import access
from hall.calling import service
from hall.calling.schemas import CallResult, Finished, Transfer
from hall.deps import ContextDep
from hall.errors import NotHallStaff, TicketNotFound
from hall.halls import service as halls
from hall.models import Hall, HallQueue, HallWindow, Ticket
from hall.tickets import service as tickets
from hall.tickets.router import ticket_read

router = APIRouter(prefix="/v1", tags=["calling"])
Operator = Annotated[Principal, scoped(access.SCOPE_OPERATE)]


async def _window(session: AsyncSession, principal: Principal, window_id: uuid.UUID) -> tuple[Hall, HallWindow]:
    window = await halls.get_window(session, window_id, lock=True)
    hall = await halls.get_hall(session, window.hall_id)
    if not access.is_hall_staff(principal, hall.region):
        raise NotHallStaff()
    return hall, window


async def _ticket(session: AsyncSession, hall: Hall, ticket_id: uuid.UUID) -> Ticket:
    ticket = await tickets.get_ticket(session, ticket_id, lock=True)
    if ticket.hall_id != hall.id:
        raise TicketNotFound()
    return ticket


@router.post("/windows/{window_id}/call-next", response_model=CallResult, summary="Call the next ticket by the rule")
async def call_next(window_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep) -> CallResult:
    hall, window = await _window(session, principal, window_id)
    ticket = await service.call_next(
        session, hall=hall, window=window, staff=principal.subject, now=context.now(), early=context.early
    )
    return CallResult(ticket=await ticket_read(session, ticket) if ticket else None)


@router.post("/windows/{window_id}/tickets/{ticket_id}/recall", response_model=CallResult, summary="Call again")
async def recall(
    window_id: uuid.UUID, ticket_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep
) -> CallResult:
    hall, window = await _window(session, principal, window_id)
    ticket = await _ticket(session, hall, ticket_id)
    await service.recall(session, hall=hall, window=window, ticket=ticket, staff=principal.subject, now=context.now())
    return CallResult(ticket=await ticket_read(session, ticket))


@router.post("/windows/{window_id}/tickets/{ticket_id}/start", response_model=CallResult, summary="The person came")
async def start(
    window_id: uuid.UUID, ticket_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep
) -> CallResult:
    hall, window = await _window(session, principal, window_id)
    ticket = await _ticket(session, hall, ticket_id)
    await service.start(session, window=window, ticket=ticket, staff=principal.subject, now=context.now())
    return CallResult(ticket=await ticket_read(session, ticket))


@router.post("/windows/{window_id}/tickets/{ticket_id}/skip", response_model=CallResult, summary="A no-show (过号)")
async def skip(
    window_id: uuid.UUID, ticket_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep
) -> CallResult:
    hall, window = await _window(session, principal, window_id)
    ticket = await _ticket(session, hall, ticket_id)
    await service.skip(session, window=window, ticket=ticket, staff=principal.subject, now=context.now())
    return CallResult(ticket=await ticket_read(session, ticket))


@router.post(
    "/windows/{window_id}/tickets/{ticket_id}/transfer", response_model=CallResult, summary="Send to another queue"
)
async def transfer(
    window_id: uuid.UUID,
    ticket_id: uuid.UUID,
    transfer_in: Transfer,
    session: SessionDep,
    principal: Operator,
    context: ContextDep,
) -> CallResult:
    hall, window = await _window(session, principal, window_id)
    ticket = await _ticket(session, hall, ticket_id)
    await service.transfer(
        session,
        hall=hall,
        window=window,
        ticket=ticket,
        staff=principal.subject,
        to_queue=transfer_in.queue,
        now=context.now(),
    )
    return CallResult(ticket=await ticket_read(session, ticket, context))


@router.post("/windows/{window_id}/tickets/{ticket_id}/finish", response_model=Finished, summary="Served")
async def finish(
    window_id: uuid.UUID, ticket_id: uuid.UUID, session: SessionDep, principal: Operator, context: ContextDep
) -> Finished:
    hall, window = await _window(session, principal, window_id)
    ticket = await _ticket(session, hall, ticket_id)
    queue = await session.get(HallQueue, ticket.queue_id)
    await service.finish(session, hall=hall, window=window, ticket=ticket, staff=principal.subject, now=context.now())
    rating = {
        "channel": "hall_device",
        "department": window.department or (queue.department if queue else None),
        "region": hall.region,
        "window": str(window.id),
        "rater_subject": ticket.holder,
    }
    return Finished(ticket=await ticket_read(session, ticket), rating=rating)
