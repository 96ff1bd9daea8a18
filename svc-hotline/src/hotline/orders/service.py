"""Work orders: record, dispatch by rules (or the operator's choice), transfer, sign for, return, extend,
answer, call back, reopen on a bad rating, hand emergencies over. Every move is checked against the
order's state (domain.MOVES), recorded in its history and published. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.crypto import Keys
from gov_contracts import hotline as contract
from gov_contracts import publish
from gov_contracts.evaluation import ConsultationSubmitted
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from gov_standards.regions import region_covers
from hotline import access, domain
from hotline.domain import Channel, Status, Urgency
from hotline.emergency import EmergencyLines
from hotline.errors import (
    InvalidOrder,
    InvalidTransition,
    NoDispatchRule,
    OrderNotFound,
    OutOfScope,
    UnknownCategory,
)
from hotline.models import Assignment, Callback, Category, DispatchRule, HandOver, KnowledgeEntry, WorkOrder
from hotline.orders.schemas import (
    AnswerIn,
    CallbackIn,
    DispatchIn,
    ExtensionDecision,
    ExtensionIn,
    OrderCreate,
    TransferIn,
)

PHONE_PURPOSE = "hotline.caller_phone"


def phone_aad(order_id: uuid.UUID) -> str:
    return f"work_order.caller_phone:{order_id}"


def name_aad(order_id: uuid.UUID) -> str:
    return f"work_order.caller_name:{order_id}"


def phone_index(keys: Keys, raw: str) -> str:
    return keys.index.digest(domain.normalise_phone(raw), purpose=PHONE_PURPOSE)


def _step(order: WorkOrder, now: datetime, by: str, action: str, note: str = "", department: str | None = None) -> None:
    entry: dict[str, Any] = {"at": now.isoformat(), "by": by, "action": action, "note": note}
    if department:
        entry["department"] = department
    order.history = [*order.history, entry]
    order.updated_at = now


def _check(move: str, order: WorkOrder) -> None:
    if not domain.may(move, order.status):
        raise InvalidTransition(f"cannot {move} an order that is {order.status}", current_status=order.status)


def _fields(order: WorkOrder, now: datetime) -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "number": order.number,
        "kind": order.kind,
        "category": order.category,
        "region": order.region,
        "occurred_at": now,
    }


async def get_order(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> WorkOrder:
    order = await session.get(WorkOrder, order_id, with_for_update=lock)
    if order is None:
        raise OrderNotFound()
    return order


async def current_assignment(session: AsyncSession, order: WorkOrder) -> Assignment:
    found = await session.scalar(
        sa.select(Assignment)
        .where(Assignment.order_id == order.id, Assignment.ended.is_(None))
        .order_by(Assignment.assigned_at.desc())
        .limit(1)
    )
    if found is None:
        raise InvalidTransition("the order is with no department", current_status=order.status)
    return found


async def create_order(
    session: AsyncSession,
    *,
    principal: Principal,
    order_in: OrderCreate,
    keys: Keys,
    now: datetime,
    emergency: EmergencyLines,
    number_prefix: str,
) -> WorkOrder:
    """Record an order. Who records it decides the channel: an operator (a call, or a message channel they
    name), a citizen (the portal), a pushing system (exchange)."""
    if await session.get(Category, order_in.category) is None:
        raise UnknownCategory(category=order_in.category)
    caller_subject: str | None = None
    source_system: str | None = None
    if access.is_operator(principal, order_in.region):
        channel = order_in.channel or Channel.PHONE
        if channel == Channel.EXCHANGE or (channel == Channel.WEB):
            raise InvalidOrder("operators record calls and messages from WeChat or mini-programs")
        if order_in.caller_phone is None:
            raise InvalidOrder("an operator records the caller's number")
    elif principal.kind == "citizen" and access.ORDERS_WRITE in principal.scopes:
        if order_in.channel not in (None, Channel.WEB):
            raise InvalidOrder("a message from the portal comes on the web channel")
        if order_in.recording_ref or order_in.external_ref or order_in.answered_on_the_spot:
            raise InvalidOrder("recordings, external references and spot answers are the operators'")
        if order_in.urgency == Urgency.EMERGENCY:
            raise InvalidOrder("in an emergency, call 110, 119, 120 or 122")
        channel, caller_subject = Channel.WEB, principal.subject
    elif access.pushing_system(principal, order_in.region):
        if order_in.external_ref is None:
            raise InvalidOrder("a pushed order carries its number there (external_ref)")
        if order_in.answered_on_the_spot or order_in.urgency == Urgency.EMERGENCY:
            raise InvalidOrder("a pushed order is dispatched here, not answered or handed over")
        channel, source_system = Channel.EXCHANGE, principal.client_id or principal.subject
    else:
        raise OutOfScope("12345 operators of the region, citizens (their own messages) or pushing hotlines only")
    order_id = uuid.uuid4()
    order = WorkOrder(
        id=order_id,
        number=_number(number_prefix, now, order_id),
        channel=str(channel),
        kind=str(order_in.kind),
        category=order_in.category,
        region=order_in.region,
        urgency=str(order_in.urgency),
        title=order_in.title,
        content=order_in.content,
        address=order_in.address,
        caller_subject=caller_subject,
        recording_ref=order_in.recording_ref,
        source_system=source_system,
        external_ref=order_in.external_ref,
        status=str(Status.REGISTERED),
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
        history=[],
        reopen_count=0,
        transfer_count=0,
        return_count=0,
    )
    if order_in.caller_phone is not None:
        digits = domain.normalise_phone(order_in.caller_phone)
        order.caller_phone = keys.ring.seal(digits, aad=phone_aad(order_id))
        order.caller_phone_index = phone_index(keys, digits)
        order.caller_phone_masked = domain.mask_phone(digits)
    if order_in.caller_name is not None:
        order.caller_name = keys.ring.seal(order_in.caller_name, aad=name_aad(order_id))
        order.caller_name_masked = domain.mask_name(order_in.caller_name)
    _step(order, now, principal.subject, "created", f"channel {channel}")
    session.add(order)
    await session.flush()
    await publish(session, contract.OrderCreated(**_fields(order, now), channel=channel, urgency=order.urgency))
    if order_in.emergency is not None:
        await _hand_over(session, order, principal=principal, kind=order_in.emergency, now=now, emergency=emergency)
    elif order_in.answered_on_the_spot is not None:
        spot = order_in.answered_on_the_spot
        order.answer, order.answered_at = spot.answer, now
        order.knowledge_entry_id = spot.knowledge_entry_id
        if spot.knowledge_entry_id is not None:
            await count_use(session, spot.knowledge_entry_id)
        await _close(session, order, now=now, by=principal.subject, outcome="answered_on_the_spot")
    return order


def _number(prefix: str, now: datetime, order_id: uuid.UUID) -> str:
    return f"{prefix}-{china_date(now):%Y%m%d}-{order_id.hex[:8].upper()}"


FROM_EVALUATION = "svc-evaluation"
CONSULTATION_CATEGORY = "other"  # evaluation's consultations name an item or a department, not a category


async def take_consultation(
    session: AsyncSession, submitted: ConsultationSubmitted, *, number_prefix: str, calendar: WorkingCalendar
) -> WorkOrder | None:
    """A consultation or complaint filed in svc-evaluation becomes a work order of the same kind on the web
    channel (小热线融合), of its asker, dispatched at once to the department evaluation routed it to, its
    deadline counted from when it was asked; None if it already is one (the event came again)."""
    consultation_id = uuid.UUID(submitted.consultation_id)
    if await session.scalar(sa.select(WorkOrder.id).where(WorkOrder.consultation_id == consultation_id)):
        return None
    now, order_id = submitted.asked_at, uuid.uuid4()
    order = WorkOrder(
        id=order_id,
        number=_number(number_prefix, now, order_id),
        channel=str(Channel.WEB),
        kind=submitted.kind,
        category=CONSULTATION_CATEGORY,
        region=submitted.region,
        urgency=str(Urgency.NORMAL),
        title=submitted.title,
        content=submitted.question,
        address="",
        caller_subject=submitted.asker_subject,
        source_system=FROM_EVALUATION,
        consultation_id=consultation_id,
        status=str(Status.REGISTERED),
        created_by=FROM_EVALUATION,
        created_at=now,
        updated_at=now,
        history=[],
        reopen_count=0,
        transfer_count=0,
        return_count=0,
    )
    _step(order, now, FROM_EVALUATION, "created", f"{submitted.kind} {consultation_id} filed on the platform")
    session.add(order)
    await session.flush()
    await publish(session, contract.OrderCreated(**_fields(order, now), channel="web", urgency=order.urgency))
    rule = await known_department(session, submitted.department)
    name, region = (rule.department_name, rule.department_region) if rule else (submitted.department, order.region)
    await _assign(
        session, order, department=submitted.department, department_name=name, department_region=region,
        reason="dispatch", by=FROM_EVALUATION, now=now, calendar=calendar, note="routed by the item's department",
    )  # fmt: skip
    return order


async def count_use(session: AsyncSession, entry_id: uuid.UUID) -> None:
    """One more use of a knowledge entry (an answer drew on it); an unknown id is refused."""
    done = await session.execute(
        sa.update(KnowledgeEntry)
        .where(KnowledgeEntry.id == entry_id, KnowledgeEntry.status == "published")
        .values(usage_count=KnowledgeEntry.usage_count + 1)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise InvalidOrder("no published knowledge entry has that id", knowledge_entry_id=str(entry_id))


async def _close(session: AsyncSession, order: WorkOrder, *, now: datetime, by: str, outcome: str) -> None:
    order.status, order.outcome, order.closed_at = str(Status.CLOSED), outcome, now
    _step(order, now, by, "closed", outcome)
    await publish(session, contract.OrderClosed(**_fields(order, now), outcome=outcome))


async def _hand_over(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    kind: str,
    now: datetime,
    emergency: EmergencyLines,
) -> None:
    line = domain.EMERGENCY_LINES[kind]
    reference = await emergency.hand_over(
        line=str(line), order_number=order.number, region=order.region, summary=order.title
    )
    session.add(
        HandOver(id=uuid.uuid4(), order_id=order.id, line=str(line), reference=reference, by=principal.subject, at=now)
    )
    order.status, order.outcome, order.closed_at = str(Status.HANDED_OVER), "handed_over", now
    _step(order, now, principal.subject, "handed_over", f"{line} {reference}")
    await session.flush()
    await publish(session, contract.OrderHandedOver(**_fields(order, now), line=line.value, reference=reference))
    await publish(session, contract.OrderClosed(**_fields(order, now), outcome="handed_over"))


async def hand_over(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    kind: str,
    now: datetime,
    emergency: EmergencyLines,
) -> WorkOrder:
    access.ensure_operator(principal, order.region)
    _check("hand_over", order)
    if order.department is not None:
        current = await current_assignment(session, order)
        current.ended = "handed_over"
    await _hand_over(session, order, principal=principal, kind=kind, now=now, emergency=emergency)
    return order


async def rule_for(session: AsyncSession, *, category: str, region: str) -> DispatchRule | None:
    """The rule of ``category`` with the longest region covering ``region``."""
    rules = list(await session.scalars(sa.select(DispatchRule).where(DispatchRule.category == category)))
    covering = [r for r in rules if region_covers(r.region, region)]
    return max(covering, key=lambda r: len(r.region.rstrip("0")), default=None)


async def known_department(session: AsyncSession, code: str) -> DispatchRule | None:
    return await session.scalar(sa.select(DispatchRule).where(DispatchRule.department == code).limit(1))


async def _assign(
    session: AsyncSession,
    order: WorkOrder,
    *,
    department: str,
    department_name: str,
    department_region: str,
    reason: str,
    by: str,
    now: datetime,
    calendar: WorkingCalendar,
    note: str = "",
) -> Assignment:
    today = china_date(now)
    due = domain.due_date(calendar, today, order.kind, order.urgency)
    assignment = Assignment(
        id=uuid.uuid4(),
        order_id=order.id,
        department=department,
        region=order.region,
        reason=reason,
        assigned_at=now,
        assigned_on=today,
        due=due,
        extension_days=0,
        overdue_reported=False,
    )
    session.add(assignment)
    order.status = str(Status.DISPATCHED)
    order.department, order.department_name, order.department_region = department, department_name, department_region
    order.due, order.extension_request = due, None
    _step(order, now, by, reason, note, department=department)
    await session.flush()
    await publish(
        session,
        contract.OrderDispatched(**_fields(order, now), department=department, due=due, reason=reason),
    )
    return assignment


async def dispatch(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    dispatch_in: DispatchIn,
    now: datetime,
    calendar: WorkingCalendar,
) -> WorkOrder:
    """Send a registered order to the department the rules name for its category and region, or to the one
    the operator chose (a department the rules know)."""
    access.ensure_operator(principal, order.region)
    _check("dispatch", order)
    if dispatch_in.department is not None:
        rule = await known_department(session, dispatch_in.department)
        if rule is None:
            raise NoDispatchRule("no rule knows that department", department=dispatch_in.department)
    else:
        rule = await rule_for(session, category=order.category, region=order.region)
        if rule is None:
            raise NoDispatchRule(category=order.category, region=order.region)
    reason = "redispatch" if order.return_count else "dispatch"
    await _assign(
        session, order, department=rule.department, department_name=rule.department_name,
        department_region=rule.department_region, reason=reason, by=principal.subject, now=now,
        calendar=calendar, note=dispatch_in.note,
    )  # fmt: skip
    return order


async def transfer(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    transfer_in: TransferIn,
    now: datetime,
    calendar: WorkingCalendar,
) -> WorkOrder:
    """The centre moves an order to another department (转办); the new one has the full time again."""
    access.ensure_operator(principal, order.region)
    _check("transfer", order)
    rule = await known_department(session, transfer_in.department)
    if rule is None:
        raise NoDispatchRule("no rule knows that department", department=transfer_in.department)
    if rule.department == order.department:
        raise InvalidTransition("the order is already with that department", current_status=order.status)
    current = await current_assignment(session, order)
    current.ended = "transferred"
    order.transfer_count += 1
    await _assign(
        session, order, department=rule.department, department_name=rule.department_name,
        department_region=rule.department_region, reason="transfer", by=principal.subject, now=now,
        calendar=calendar, note=transfer_in.reason,
    )  # fmt: skip
    return order


async def sign(
    session: AsyncSession, order: WorkOrder, *, principal: Principal, now: datetime, calendar: WorkingCalendar
) -> WorkOrder:
    access.ensure_department_staff(principal, department=order.department, region=order.region)
    _check("sign", order)
    current = await current_assignment(session, order)
    current.signed_at = now
    current.responded_in_time = china_date(now) <= calendar.add_working_days(current.assigned_on, domain.RESPONSE_DAYS)
    order.status = str(Status.SIGNED)
    _step(order, now, principal.subject, "signed", department=order.department)
    return order


async def give_back(
    session: AsyncSession, order: WorkOrder, *, principal: Principal, reason: str, now: datetime
) -> WorkOrder:
    """The department returns an order that is not its own (退回); the centre dispatches it again."""
    access.ensure_department_staff(principal, department=order.department, region=order.region)
    _check("return", order)
    current = await current_assignment(session, order)
    current.ended = "returned"
    department = order.department
    order.status, order.return_count = str(Status.REGISTERED), order.return_count + 1
    order.department = order.department_name = order.department_region = None
    order.due, order.extension_request = None, None
    _step(order, now, principal.subject, "returned", reason, department=department)
    return order


async def request_extension(
    session: AsyncSession, order: WorkOrder, *, principal: Principal, extension_in: ExtensionIn, now: datetime
) -> WorkOrder:
    access.ensure_department_staff(principal, department=order.department, region=order.region)
    _check("extend", order)
    if order.extension_request and order.extension_request.get("state") == "requested":
        raise InvalidTransition("an extension is already waiting for a decision", current_status=order.status)
    current = await current_assignment(session, order)
    if current.extension_days + extension_in.days > domain.MAX_EXTENSION_DAYS:
        raise InvalidOrder(f"at most {domain.MAX_EXTENSION_DAYS} working days of extension in all")
    order.extension_request = {
        "state": "requested",
        "days": extension_in.days,
        "reason": extension_in.reason,
        "requested_at": now.isoformat(),
    }
    _step(order, now, principal.subject, "extension_requested", extension_in.reason, department=order.department)
    return order


async def decide_extension(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    decision: ExtensionDecision,
    now: datetime,
    calendar: WorkingCalendar,
) -> WorkOrder:
    access.ensure_operator(principal, order.region)
    if not order.extension_request or order.extension_request.get("state") != "requested":
        raise InvalidTransition("no extension is waiting for a decision", current_status=order.status)
    current = await current_assignment(session, order)
    days = int(order.extension_request["days"])
    if decision.approve:
        current.extension_days += days
        current.due = domain.due_date(calendar, current.assigned_on, order.kind, order.urgency, current.extension_days)
        order.due = current.due
    order.extension_request = {**order.extension_request, "state": "approved" if decision.approve else "refused"}
    _step(order, now, principal.subject, "extension_" + ("approved" if decision.approve else "refused"), decision.note)
    return order


async def answer(
    session: AsyncSession, order: WorkOrder, *, principal: Principal, answer_in: AnswerIn, now: datetime
) -> WorkOrder:
    access.ensure_department_staff(principal, department=order.department, region=order.region)
    _check("answer", order)
    current = await current_assignment(session, order)
    if answer_in.knowledge_entry_id is not None:
        await count_use(session, answer_in.knowledge_entry_id)
    current.answered_at, current.ended = now, "answered"
    current.answered_on_time = china_date(now) <= current.due
    order.status, order.answer, order.answered_at = str(Status.ANSWERED), answer_in.answer, now
    order.knowledge_entry_id = answer_in.knowledge_entry_id or order.knowledge_entry_id
    _step(order, now, principal.subject, "answered", department=order.department)
    await publish(
        session,
        contract.OrderAnswered(
            **_fields(order, now), department=current.department, due=current.due, on_time=current.answered_on_time
        ),
    )
    if order.consultation_id is not None:  # the asker reads the answer where they asked too
        await publish(
            session,
            contract.ConsultationAnswered(
                **_fields(order, now), consultation_id=str(order.consultation_id), department=current.department,
                answer=answer_in.answer, answered_at=now,
            ),
        )  # fmt: skip
    return order


async def call_back(
    session: AsyncSession,
    order: WorkOrder,
    *,
    principal: Principal,
    callback_in: CallbackIn,
    now: datetime,
    calendar: WorkingCalendar,
) -> WorkOrder:
    """Record the caller's rating of the answer; a bad one (1, 2) sends the order back to the department."""
    access.ensure_operator(principal, order.region)
    _check("callback", order)
    await record_callback(
        session, order, by=principal.subject, level=callback_in.level, solved=callback_in.solved,
        comment=callback_in.comment, now=now, calendar=calendar,
    )  # fmt: skip
    return order


async def record_callback(
    session: AsyncSession,
    order: WorkOrder,
    *,
    by: str,
    level: int,
    solved: bool,
    comment: str,
    now: datetime,
    calendar: WorkingCalendar,
) -> Callback:
    """The callback (回访) of an answered order, whoever took the rating (an operator on the phone, or the
    asker in evaluation): recorded for the answering department and published; a bad rating reopens the
    order with that department (an order a city's hotline answered goes back to the centre, which forwards
    or dispatches it again), another closes it."""
    answered = await session.scalar(
        sa.select(Assignment)
        .where(Assignment.order_id == order.id, Assignment.ended == "answered")
        .order_by(Assignment.answered_at.desc())
        .limit(1)
    )
    assert answered is not None  # an answered order has its answering assignment
    callback = Callback(
        id=uuid.uuid4(),
        order_id=order.id,
        assignment_id=answered.id,
        department=answered.department,
        region=order.region,
        level=level,
        solved=solved,
        comment=comment,
        by=by,
        at=now,
        on=china_date(now),
    )
    session.add(callback)
    _step(order, now, by, "called_back", f"level {level}", department=answered.department)
    await session.flush()
    await publish(
        session,
        contract.OrderRated(
            **_fields(order, now),
            callback_id=str(callback.id),
            department=answered.department,
            level=level,
            solved=solved,
            rater_subject=order.caller_subject,
        ),
    )
    if level in domain.BAD_LEVELS:
        order.reopen_count += 1
        await publish(
            session,
            contract.OrderReopened(
                **_fields(order, now), department=answered.department, reopen_count=order.reopen_count
            ),
        )
        if answered.reason == "forward":
            order.status = str(Status.REGISTERED)
            order.department = order.department_name = order.department_region = None
            order.due = None
            _step(order, now, by, "reopened", comment, department=answered.department)
        else:
            name, region = order.department_name or answered.department, order.department_region or order.region
            await _assign(
                session, order, department=answered.department, department_name=name, department_region=region,
                reason="reopen", by=by, now=now, calendar=calendar, note=comment,
            )  # fmt: skip
    else:
        await _close(session, order, now=now, by=by, outcome="rated")
    return callback


async def list_orders(
    session: AsyncSession,
    *,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[WorkOrder]:
    query = sa.select(WorkOrder).where(*where)
    if after is not None:
        at, last = after
        query = query.where(sa.or_(WorkOrder.created_at < at, sa.and_(WorkOrder.created_at == at, WorkOrder.id < last)))
    query = query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(limit)
    return list(await session.scalars(query))


def reveal_caller(
    order: WorkOrder, *, principal: Principal, keys: Keys, now: datetime
) -> tuple[str | None, str | None]:
    """The caller's number and name in clear for an operator of the order's region; the reading is recorded."""
    access.ensure_operator(principal, order.region)
    phone = keys.ring.open_text(order.caller_phone, aad=phone_aad(order.id)) if order.caller_phone else None
    name = keys.ring.open_text(order.caller_name, aad=name_aad(order.id)) if order.caller_name else None
    _step(order, now, principal.subject, "caller_revealed")
    return phone, name
