"""Work orders: record (operators, portal citizens, pushing hotlines), read and list (who may see them),
dispatch, transfer, sign for, return, extend, answer, call back, hand over; the caller in clear for the
operator calling back; categories and dispatch rules."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.calendars import load_calendar
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, Page, read_time_id_cursor, time_id_cursor
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from hotline import access, domain
from hotline.deps import ContextDep, HotlineContext
from hotline.errors import NotAnOperator, OrderNotFound, OutOfScope, UnknownCategory
from hotline.models import Category, DispatchRule, IdempotencyRecord, WorkOrder
from hotline.orders import forwarding, service
from hotline.orders.schemas import (
    AnswerIn,
    CallbackIn,
    CallerRead,
    CallerSearch,
    CategoryIn,
    CategoryRead,
    DispatchIn,
    ExtensionDecision,
    ExtensionIn,
    ForwardIn,
    OrderCreate,
    OrderPage,
    OrderRead,
    ReasonIn,
    RuleIn,
    RuleRead,
    Step,
    TransferIn,
)
from hotline.settings import PROVINCE

router = APIRouter(prefix="/v1", tags=["orders"])
Reader = Annotated[Principal, scoped(access.ORDERS_READ)]
Writer = Annotated[Principal, scoped(access.ORDERS_WRITE)]
Handler = Annotated[Principal, scoped(access.ORDERS_HANDLE)]


async def order_read(
    session: SessionDep, order: WorkOrder, context: HotlineContext, calendar: WorkingCalendar | None = None
) -> OrderRead:
    calendar = calendar or await load_calendar(session)
    waiting = order.status in (domain.Status.DISPATCHED, domain.Status.SIGNED, domain.Status.FORWARDED)
    alert = domain.alert(calendar, china_date(context.now()), order.due, answered=not waiting)
    return OrderRead(
        id=order.id,
        number=order.number,
        channel=order.channel,
        kind=order.kind,
        category=order.category,
        region=order.region,
        urgency=order.urgency,
        title=order.title,
        content=order.content,
        address=order.address,
        caller_phone_masked=order.caller_phone_masked,
        caller_name_masked=order.caller_name_masked,
        recording_ref=order.recording_ref,
        status=order.status,
        department=order.department,
        department_name=order.department_name,
        due=order.due,
        alert=str(alert),
        extension_request=order.extension_request,
        answer=order.answer,
        answered_at=order.answered_at,
        reopen_count=order.reopen_count,
        transfer_count=order.transfer_count,
        outcome=order.outcome,
        created_at=order.created_at,
        closed_at=order.closed_at,
        history=[Step.model_validate(s) for s in order.history],
    )


async def readable(session: SessionDep, order_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> WorkOrder:
    """The order, or 404 for whoever may not read it (never confirm that someone else's order exists)."""
    order = await service.get_order(session, order_id, lock=lock)
    if not access.may_read_order(
        principal, caller_subject=order.caller_subject, department=order.department, region=order.region
    ):
        raise OrderNotFound()
    return order


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderRead,
    summary="Record a work order (operators: a call; citizens: a message; other hotlines: a pushed order)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_order(
    order_in: OrderCreate,
    session: SessionDep,
    principal: Writer,
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope="orders.create", key=idempotency_key,
        body=order_in.model_dump(mode="json"),
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/orders/{claim.record.body['id']}")
    order = await service.create_order(
        session, principal=principal, order_in=order_in, keys=context.keys, now=context.now(),
        emergency=context.emergency, number_prefix=context.settings.number_prefix,
    )  # fmt: skip
    body = (await order_read(session, order, context)).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/orders/{order.id}")


@router.post(
    "/exchange/orders",
    status_code=201,
    response_model=OrderRead,
    summary="Push a work order from another hotline or a city platform (Idempotency-Key required)",
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def push_order(
    order_in: OrderCreate,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.EXCHANGE_WRITE)],
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope="orders.push", key=idempotency_key,
        body=order_in.model_dump(mode="json"),
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/orders/{claim.record.body['id']}")
    if not access.pushing_system(principal, order_in.region):
        raise OutOfScope("a hotline pushes orders of its own region only")
    order = await service.create_order(
        session, principal=principal, order_in=order_in, keys=context.keys, now=context.now(),
        emergency=context.emergency, number_prefix=context.settings.number_prefix,
    )  # fmt: skip
    body = (await order_read(session, order, context)).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/orders/{order.id}")


@router.get("/orders", response_model=OrderPage, summary="Work orders the caller may see, newest first")
async def list_orders(
    session: SessionDep,
    principal: Reader,
    context: ContextDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
) -> OrderPage:
    where = access.visible_orders(
        principal, caller_subject=WorkOrder.caller_subject, department=WorkOrder.department, region=WorkOrder.region
    )
    if status is not None:
        where.append(WorkOrder.status == status)
    if kind is not None:
        where.append(WorkOrder.kind == kind)
    rows = await service.list_orders(session, where=where, limit=limit + 1, after=read_time_id_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    calendar = await load_calendar(session)
    return OrderPage(
        items=[await order_read(session, o, context, calendar) for o in page],
        next_cursor=time_id_cursor(page[-1].created_at, page[-1].id) if more else None,
    )


@router.post(
    "/orders/by-caller",
    response_model=OrderPage,
    summary="Operators: a caller's earlier orders, by the number in the body (never in a URL, which proxies log)",
)
async def orders_by_caller(
    search: CallerSearch, session: SessionDep, principal: Reader, context: ContextDep
) -> OrderPage:
    if not access.is_centre_staff(principal):
        raise NotAnOperator("only operators look orders up by the caller's number")
    where = access.visible_orders(
        principal, caller_subject=WorkOrder.caller_subject, department=WorkOrder.department, region=WorkOrder.region
    )
    where.append(WorkOrder.caller_phone_index == service.phone_index(context.keys, search.caller_phone))
    rows = await service.list_orders(session, where=where, limit=search.limit, after=None)
    calendar = await load_calendar(session)
    return OrderPage(items=[await order_read(session, o, context, calendar) for o in rows], next_cursor=None)


@router.get("/orders/{order_id}", response_model=OrderRead, summary="One work order (the caller masked)")
async def get_order(order_id: uuid.UUID, session: SessionDep, principal: Reader, context: ContextDep) -> OrderRead:
    return await order_read(session, await readable(session, order_id, principal), context)


@router.get(
    "/orders/{order_id}/caller",
    response_model=CallerRead,
    summary="The caller's number and name in clear, for the operator calling back (recorded in the history)",
)
async def get_caller(order_id: uuid.UUID, session: SessionDep, principal: Writer, context: ContextDep) -> CallerRead:
    order = await readable(session, order_id, principal, lock=True)
    phone, name = service.reveal_caller(order, principal=principal, keys=context.keys, now=context.now())
    return CallerRead(phone=phone, name=name)


@router.post(
    "/orders/{order_id}/dispatch", response_model=OrderRead, summary="Dispatch by the rules or to a chosen department"
)
async def dispatch(
    order_id: uuid.UUID, dispatch_in: DispatchIn, session: SessionDep, principal: Writer, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.dispatch(
        session,
        order,
        principal=principal,
        dispatch_in=dispatch_in,
        now=context.now(),
        calendar=await load_calendar(session),
    )
    return await order_read(session, order, context)


@router.post("/orders/{order_id}/transfer", response_model=OrderRead, summary="Transfer to another department (转办)")
async def transfer(
    order_id: uuid.UUID, transfer_in: TransferIn, session: SessionDep, principal: Writer, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.transfer(
        session,
        order,
        principal=principal,
        transfer_in=transfer_in,
        now=context.now(),
        calendar=await load_calendar(session),
    )
    return await order_read(session, order, context)


@router.post(
    "/orders/{order_id}/forward",
    response_model=OrderRead,
    summary="Forward to the 12345 hotline of the city the matter lies in (through exchange; its answer comes back)",
)
async def forward(
    order_id: uuid.UUID, forward_in: ForwardIn, session: SessionDep, principal: Writer, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await forwarding.forward(
        session,
        order,
        principal=principal,
        forward_in=forward_in,
        now=context.now(),
        calendar=await load_calendar(session),
    )
    return await order_read(session, order, context)


@router.post("/orders/{order_id}/sign", response_model=OrderRead, summary="Sign for the order (签收; the department)")
async def sign(order_id: uuid.UUID, session: SessionDep, principal: Handler, context: ContextDep) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.sign(session, order, principal=principal, now=context.now(), calendar=await load_calendar(session))
    return await order_read(session, order, context)


@router.post(
    "/orders/{order_id}/return", response_model=OrderRead, summary="Return a misdirected order (退回) with a reason"
)
async def give_back(
    order_id: uuid.UUID, reason_in: ReasonIn, session: SessionDep, principal: Handler, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.give_back(session, order, principal=principal, reason=reason_in.reason, now=context.now())
    return await order_read(session, order, context)


@router.post("/orders/{order_id}/extension", response_model=OrderRead, summary="Ask for more working days (延期申请)")
async def request_extension(
    order_id: uuid.UUID, extension_in: ExtensionIn, session: SessionDep, principal: Handler, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.request_extension(session, order, principal=principal, extension_in=extension_in, now=context.now())
    return await order_read(session, order, context)


@router.post("/orders/{order_id}/extension/decision", response_model=OrderRead, summary="Grant or refuse an extension")
async def decide_extension(
    order_id: uuid.UUID, decision: ExtensionDecision, session: SessionDep, principal: Writer, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.decide_extension(
        session, order, principal=principal, decision=decision, now=context.now(), calendar=await load_calendar(session)
    )
    return await order_read(session, order, context)


@router.post("/orders/{order_id}/answer", response_model=OrderRead, summary="The department's answer (办理结果)")
async def answer(
    order_id: uuid.UUID, answer_in: AnswerIn, session: SessionDep, principal: Handler, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.answer(session, order, principal=principal, answer_in=answer_in, now=context.now())
    return await order_read(session, order, context)


@router.post(
    "/orders/{order_id}/callback", response_model=OrderRead, summary="The caller's rating at the callback (回访)"
)
async def call_back(
    order_id: uuid.UUID, callback_in: CallbackIn, session: SessionDep, principal: Writer, context: ContextDep
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.call_back(
        session,
        order,
        principal=principal,
        callback_in=callback_in,
        now=context.now(),
        calendar=await load_calendar(session),
    )
    return await order_read(session, order, context)


@router.post(
    "/orders/{order_id}/hand-over/{emergency}",
    response_model=OrderRead,
    summary="Hand an emergency to 110 (police), 119 (fire), 120 (medical) or 122 (traffic)",
)
async def hand_over(
    order_id: uuid.UUID,
    emergency: Annotated[str, Path(pattern=r"^(police|fire|medical|traffic)$")],
    session: SessionDep,
    principal: Writer,
    context: ContextDep,
) -> OrderRead:
    order = await readable(session, order_id, principal, lock=True)
    await service.hand_over(
        session, order, principal=principal, kind=emergency, now=context.now(), emergency=context.emergency
    )
    return await order_read(session, order, context)


@router.get("/categories", response_model=Page[CategoryRead], summary="Categories of matters (public; one page: all)")
async def categories(session: SessionDep) -> Page[CategoryRead]:
    rows = await session.scalars(sa.select(Category).order_by(Category.code))
    return Page(items=[CategoryRead(code=c.code, name=c.name, parent=c.parent) for c in rows])


@router.get(
    "/dispatch-rules", response_model=Page[RuleRead], summary="Which department takes which category where (one page)"
)
async def dispatch_rules(session: SessionDep, principal: Reader) -> Page[RuleRead]:
    if not access.is_centre_staff(principal):
        raise NotAnOperator()
    rows = await session.scalars(sa.select(DispatchRule).order_by(DispatchRule.category, DispatchRule.region))
    return Page(
        items=[
            RuleRead(category=r.category, region=r.region, department=r.department, department_name=r.department_name)
            for r in rows
        ]
    )


RuleWriter = Annotated[Principal, scoped(access.RULES_WRITE)]


@router.put(
    "/categories/{code}", response_model=CategoryRead, summary="Add or rename a category (the province's supervisors)"
)
async def put_category(
    code: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$")],
    category_in: CategoryIn,
    session: SessionDep,
    principal: RuleWriter,
) -> CategoryRead:
    access.ensure_rule_admin(principal, PROVINCE)
    if category_in.parent is not None and await session.get(Category, category_in.parent) is None:
        raise UnknownCategory(category=category_in.parent)
    category = await session.get(Category, code, with_for_update=True)
    if category is None:
        category = Category(code=code)
        session.add(category)
    category.name, category.parent = category_in.name, category_in.parent
    await session.flush()
    return CategoryRead(code=category.code, name=category.name, parent=category.parent)


@router.put(
    "/dispatch-rules", response_model=RuleRead, summary="Set the department of a category in a region (its supervisors)"
)
async def put_rule(rule_in: RuleIn, session: SessionDep, principal: RuleWriter) -> RuleRead:
    access.ensure_rule_admin(principal, rule_in.region)
    if await session.get(Category, rule_in.category) is None:
        raise UnknownCategory(category=rule_in.category)
    rule = await session.scalar(
        sa.select(DispatchRule)
        .where(DispatchRule.category == rule_in.category, DispatchRule.region == rule_in.region)
        .with_for_update()
    )
    if rule is None:
        rule = DispatchRule(id=uuid.uuid4(), category=rule_in.category, region=rule_in.region)
        session.add(rule)
    rule.department, rule.department_name = rule_in.department, rule_in.department_name
    rule.department_region = rule_in.department_region
    await session.flush()
    return RuleRead(
        category=rule.category, region=rule.region, department=rule.department, department_name=rule.department_name
    )
