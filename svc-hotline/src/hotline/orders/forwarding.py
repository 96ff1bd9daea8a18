"""Orders forwarded to a city's 12345 hotline (大热线对接) through svc-exchange: the operator forwards an
order whose matter lies in a prefecture-level city (``hotline.order.forwarded``, the outbox); exchange
delivers it to the city's platform and brings back its answer, closure or return
(``exchange.hotline.reply_received``), applied here to the order's state, answer and history. While the
city has it, the order is counted under the city's desk (``12345-<city>``): its deadline, its figures.
The province keeps the caller and the callback (回访). Functions flush, never commit."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_contracts import hotline as contract
from gov_contracts import publish
from gov_contracts.evaluation import ConsultationRated
from gov_contracts.exchange import HotlineReplyReceived
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from hotline import access, domain
from hotline.domain import Status
from hotline.errors import InvalidForward
from hotline.models import Assignment, WorkOrder
from hotline.orders.schemas import ForwardIn
from hotline.orders.service import _check, _close, _fields, _step, current_assignment, record_callback

log = logging.getLogger(__name__)

FORWARD = "forward"  # the assignment's reason while a city's hotline has the order


async def forward(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    forward_in: ForwardIn,
    now: datetime,
    calendar: WorkingCalendar,
) -> WorkOrder:
    """Hand the order to ``forward_in.city``'s 12345 hotline: the city must hold the order's region; an
    order with a department is taken from it first. The city has the order's usual time to answer."""
    access.ensure_operator(principal, order.region)
    _check("forward", order)
    refusal = domain.forward_refusal(forward_in.city, order.region)
    if refusal is not None:
        raise InvalidForward(refusal, city=forward_in.city, region=order.region)
    if order.department is not None:
        current = await current_assignment(session, order)
        current.ended = "forwarded"
    today = china_date(now)
    due = domain.due_date(calendar, today, order.kind, order.urgency)
    desk = domain.city_desk(forward_in.city)
    session.add(
        Assignment(
            id=uuid.uuid4(), order_id=order.id, department=desk, region=order.region, reason=FORWARD,
            assigned_at=now, assigned_on=today, due=due, extension_days=0, overdue_reported=False,
        )
    )  # fmt: skip
    order.status, order.due, order.extension_request = str(Status.FORWARDED), due, None
    order.department, order.department_region = desk, forward_in.city
    order.department_name = f"{domain.CITIES[forward_in.city]} 12345 热线"
    _step(order, now, principal.subject, "forwarded", forward_in.note, department=desk)
    await session.flush()
    await publish(
        session,
        contract.OrderForwarded(
            **_fields(order, now), city=forward_in.city, urgency=order.urgency, title=order.title,
            content=order.content, address=order.address, due=due,
        ),
    )  # fmt: skip
    return order


async def _forwarded_to(session: AsyncSession, order: WorkOrder, city: str) -> Assignment | None:
    """The open stay of the order with ``city``'s hotline, if it has one."""
    found: Assignment | None = await session.scalar(
        sa.select(Assignment)
        .where(
            Assignment.order_id == order.id,
            Assignment.reason == FORWARD,
            Assignment.department == domain.city_desk(city),
            Assignment.ended.is_(None),
        )
        .order_by(Assignment.assigned_at.desc())
        .limit(1)
    )
    return found


async def city_replied(session: AsyncSession, reply: HotlineReplyReceived) -> WorkOrder | None:
    """Apply a city's answer, closure or return (or exchange's return of an order no city platform takes)
    to the order it names. A reply the order no longer waits for (another city's, or one after the order
    moved on) changes nothing but is logged; None then."""
    order = await session.get(WorkOrder, uuid.UUID(reply.order_id), with_for_update=True)
    if order is None:
        log.warning("a city replied to order %s, which is not here: ignored", reply.order_id)
        return None
    by = f"city:{reply.system}" if reply.system else "svc-exchange"
    now, desk = reply.replied_at, domain.city_desk(reply.city)
    stay = await _forwarded_to(session, order, reply.city)
    if order.status == Status.FORWARDED and stay is not None:
        if reply.outcome == "returned":
            stay.ended = "returned"
            order.status, order.return_count = str(Status.REGISTERED), order.return_count + 1
            order.department = order.department_name = order.department_region = None
            order.due = None
            _step(order, now, by, "returned", reply.reason or "", department=desk)
            return order
        stay.answered_at, stay.ended = now, "answered"
        stay.answered_on_time = china_date(now) <= stay.due
        order.status, order.answer, order.answered_at = str(Status.ANSWERED), reply.answer, now
        _step(order, now, by, "answered", department=desk)
        await publish(
            session,
            contract.OrderAnswered(**_fields(order, now), department=desk, due=stay.due, on_time=stay.answered_on_time),
        )
        if reply.outcome == "answered":
            return order
    elif not (reply.outcome == "closed" and order.status == Status.ANSWERED and order.department == desk):
        log.warning("order %s is %s: the %s reply of %s changes nothing", order.number, order.status, reply.outcome, by)
        return None
    # closed: the city called the caller back itself; its answer (if it sends one now) is the last word
    if reply.answer:
        order.answer = reply.answer
    await _close(session, order, now=now, by=by, outcome="closed_by_city")
    return order


async def consultation_rated(
    session: AsyncSession, rated: ConsultationRated, *, calendar: WorkingCalendar
) -> WorkOrder | None:
    """The asker rated, in evaluation, the answer of the order their consultation became: the order's
    callback (回访), if the order is still waiting for one (an operator may have called back first); a
    rating of 3 or more counts as solved."""
    order = await session.scalar(
        sa.select(WorkOrder).where(WorkOrder.consultation_id == uuid.UUID(rated.consultation_id)).with_for_update()
    )
    if order is None or str(order.id) != rated.order_id:
        log.warning(
            "consultation %s was rated, but is not order %s here: ignored", rated.consultation_id, rated.order_id
        )
        return None
    by = f"asker:{rated.asker_subject}"
    if not domain.may("callback", order.status):
        _step(order, rated.rated_at, by, "rated_in_evaluation", f"level {rated.level}; the order was {order.status}")
        return None
    await record_callback(
        session, order, by=by, level=rated.level, solved=rated.level >= 3,
        comment="rated in evaluation", now=rated.rated_at, calendar=calendar,
    )  # fmt: skip
    return order
