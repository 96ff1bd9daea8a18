"""Supervision orders (督办): issued by a supervisor of the region (or above), replied to by the ordered
department, escalated one level up the region tree when unanswered past the deadline. Each step is kept on
the order, written to the case's trace when the order is on one of our cases, and published
(``workflow.supervision.*``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.policy import supervisor_of
from gov_contracts import publish
from gov_contracts.workflow import (
    SupervisedCase,
    SupervisionOrderEscalated,
    SupervisionOrderIssued,
    SupervisionOrderReplied,
)
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from gov_standards.regions import region_prefix
from workflow import access, trace
from workflow.cases.domain import CLOSED, SYSTEM, Actor
from workflow.cases.service import lock_case
from workflow.errors import (
    CaseClosed,
    CaseNotFound,
    ExternalCaseNotFound,
    NoDepartmentToOrder,
    OrderAlreadyReplied,
    OrderNotFound,
    OutOfScope,
)
from workflow.models import Case, ExternalCase, SupervisionOrder
from workflow.supervision import domain
from workflow.supervision.schemas import OrderCreate


def _staff_actor(principal: Principal, role: str) -> Actor:
    return Actor(subject=principal.subject, kind="staff", role=role, department=principal.department)


async def _on_case_trace(
    session: AsyncSession,
    order: SupervisionOrder,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    opinion: str | None,
    details: dict[str, Any],
) -> None:
    """Write the step to the trace of the case of ours the order is on (none for the others)."""
    if order.case_id is None:
        return
    case = await lock_case(session, order.case_id)
    if case is not None:
        details = {"order_id": str(order.id), **details}
        await trace.append(
            session, case, at=at, actor=actor, action=action, before=case.status, after=case.status, opinion=opinion, details=details
        )  # fmt: skip


async def _supervised_case(session: AsyncSession, order: SupervisionOrder) -> SupervisedCase | None:
    if order.case_id is not None:
        case = await session.get(Case, order.case_id)
        assert case is not None  # a foreign key
        return SupervisedCase(
            kind="case", id=str(case.id), tracking_number=case.tracking_number, item_code=case.item_code
        )
    if order.external_case_id is not None:
        ext = await session.get(ExternalCase, order.external_case_id)
        assert ext is not None
        return SupervisedCase(
            kind="external_case",
            id=str(ext.id),
            tracking_number=ext.tracking_number,
            item_code=ext.item_code,
            source=ext.source,
            external_id=ext.external_id,
        )
    return None


async def _common(session: AsyncSession, order: SupervisionOrder, at: datetime) -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "target": order.target,
        "case": await _supervised_case(session, order),
        "department": order.department,
        "region": order.region,
        "deadline": order.deadline,
        "occurred_at": at,
    }


async def issue(
    session: AsyncSession, *, principal: Principal, order_in: OrderCreate, calendar: WorkingCalendar, now: datetime
) -> SupervisionOrder:
    """Issue an order. The supervisor's region subtree must cover the case's (or department's) region; a case
    outside it is not found, as for any other read."""
    case_id = external_id = None
    if order_in.target == "case":
        assert order_in.case_id is not None
        case = await lock_case(session, order_in.case_id)
        if case is None or not supervisor_of(principal, case.region):
            raise CaseNotFound()
        if case.status in CLOSED:
            raise CaseClosed(current_status=case.status)
        case_id, department, region = case.id, case.department, case.region
    elif order_in.target == "external_case":
        assert order_in.case_id is not None
        ext = await session.get(ExternalCase, order_in.case_id, with_for_update=True)
        if ext is None or not supervisor_of(principal, ext.region):
            raise ExternalCaseNotFound()
        if ext.closed_at is not None:
            raise CaseClosed(current_status=ext.status)
        if ext.department is None:
            raise NoDepartmentToOrder()
        external_id, department, region = ext.id, ext.department, ext.region
    else:
        assert order_in.department is not None and order_in.region is not None
        department, region = order_in.department, order_in.region
        if not supervisor_of(principal, region):
            raise OutOfScope("supervisors order departments of their own region subtree only", region=region)
    deadline = domain.order_deadline(calendar, china_date(now), order_in.working_days)
    holder = (principal.region or "")[:6]
    order = SupervisionOrder(
        id=uuid.uuid4(),
        target=order_in.target,
        case_id=case_id,
        external_case_id=external_id,
        department=department,
        region=region,
        reason=order_in.reason,
        working_days=order_in.working_days,
        issued_by=principal.subject,
        issuer_region=holder,
        issued_at=now,
        first_deadline=deadline,
        deadline=deadline,
        holder_region=holder,
        escalations=0,
        status=domain.ORDER_OPEN,
        history=[
            {"action": "issued", "at": now.isoformat(), "by": principal.subject, "deadline": deadline.isoformat()}
        ],
    )
    session.add(order)
    await session.flush()
    details = {"deadline": deadline.isoformat(), "working_days": order.working_days}
    actor = _staff_actor(principal, "supervisor")
    await _on_case_trace(
        session, order, at=now, actor=actor, action="supervision_order_issued", opinion=order.reason, details=details
    )
    common = await _common(session, order, now)
    await publish(
        session,
        SupervisionOrderIssued(
            **common,
            reason=order.reason,
            working_days=order.working_days,
            issued_by=principal.subject,
            issuer_region=holder,
        ),
    )
    return order


async def visible_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, lock: bool = False
) -> SupervisionOrder:
    order = await session.get(SupervisionOrder, order_id, with_for_update=lock)
    if order is None or not access.may_see_order(principal, order):
        raise OrderNotFound()
    return order


async def reply(
    session: AsyncSession, *, principal: Principal, order: SupervisionOrder, text: str, now: datetime
) -> SupervisionOrder:
    """The ordered department's staff answer the order, once; after the first deadline it counts as late."""
    if not access.may_reply(principal, order):
        raise OutOfScope("only staff of the ordered department reply", department=order.department)
    if order.status != domain.ORDER_OPEN:
        raise OrderAlreadyReplied(current_status=order.status)
    late = domain.reply_is_late(order.first_deadline, china_date(now))
    order.status, order.reply, order.replied_by, order.replied_at, order.late = (
        domain.ORDER_REPLIED, text, principal.subject, now, late
    )  # fmt: skip
    order.history = [
        *order.history,
        {"action": "replied", "at": now.isoformat(), "by": principal.subject, "late": late},
    ]
    role = next(iter(sorted(principal.roles)), None) or "staff"
    await _on_case_trace(
        session, order, at=now, actor=_staff_actor(principal, role), action="supervision_order_replied", opinion=text, details={"late": late}
    )  # fmt: skip
    common = await _common(session, order, now)
    await publish(session, SupervisionOrderReplied(**common, reply=text, replied_by=principal.subject, late=late))
    return order


async def escalate_overdue(
    session: AsyncSession, *, calendar: WorkingCalendar, now: datetime, region: str | None = None, batch: int = 1000
) -> int:
    """Send every open order past its deadline one level up the region tree, with a new deadline of the
    same number of working days; an order the province holds stays overdue with it."""
    today = china_date(now)
    rows = await session.scalars(
        sa.select(SupervisionOrder)
        .where(
            SupervisionOrder.status == domain.ORDER_OPEN,
            SupervisionOrder.deadline < today,
            SupervisionOrder.holder_region.not_like("__0000"),  # the province has no level above it
        )
        .where(SupervisionOrder.region.startswith(region_prefix(region)) if region else sa.true())
        .order_by(SupervisionOrder.deadline, SupervisionOrder.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    escalated = 0
    for order in rows:
        to = domain.escalation_target(order.holder_region)
        if to is None:
            continue
        before = order.holder_region
        order.holder_region, order.escalations = to, order.escalations + 1
        order.deadline = domain.order_deadline(calendar, today, order.working_days)
        step = {"action": "escalated", "at": now.isoformat(), "from_region": before, "to_region": to}
        order.history = [*order.history, {**step, "deadline": order.deadline.isoformat()}]
        await _on_case_trace(
            session, order, at=now, actor=SYSTEM, action="supervision_order_escalated", opinion=None,
            details={"from_region": before, "to_region": to, "deadline": order.deadline.isoformat()},
        )  # fmt: skip
        common = await _common(session, order, now)
        await publish(
            session,
            SupervisionOrderEscalated(**common, from_region=before, to_region=to, escalations=order.escalations),
        )
        escalated += 1
    return escalated


def order_filter(region: str, department: str | None) -> list[Any]:
    conditions: list[Any] = [SupervisionOrder.region.startswith(region_prefix(region))]
    if department:
        conditions.append(SupervisionOrder.department == department)
    return conditions


async def counts(session: AsyncSession, *, conditions: list[Any], today: Any) -> dict[str, int]:
    """Orders issued, open, overdue (open past the deadline), replied, replied late and escalated."""
    open_ = SupervisionOrder.status == domain.ORDER_OPEN
    row = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(sa.case((open_, 1), else_=0)),
                sa.func.sum(sa.case((sa.and_(open_, SupervisionOrder.deadline < today), 1), else_=0)),
                sa.func.sum(sa.case((SupervisionOrder.status == domain.ORDER_REPLIED, 1), else_=0)),
                sa.func.sum(sa.case((SupervisionOrder.late.is_(True), 1), else_=0)),
                sa.func.sum(sa.case((SupervisionOrder.escalations > 0, 1), else_=0)),
            ).where(*conditions)
        )
    ).one()
    names = ("issued", "open", "overdue", "replied", "replied_late", "escalated")
    return {name: int(value or 0) for name, value in zip(names, row, strict=True)}
