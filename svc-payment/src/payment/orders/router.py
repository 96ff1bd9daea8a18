"""Orders: create (workflow or finance), read (applicant, finance of the department, systems), pay and
cancel (applicant), receipt; and the channel notification endpoint (authenticated by its signature)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from gov_common import idempotency
from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden, problem_response
from gov_common.http import created
from gov_common.pagination import read_time_id_cursor, time_id_cursor
from gov_contracts.workflow import FeeApplicant, FeeLine
from payment import access
from payment.deps import ContextDep
from payment.domain import OrderStatus
from payment.errors import OrderNotFound
from payment.models import IdempotencyRecord, PaymentOrder
from payment.orders import service
from payment.orders.schemas import (
    NotifyAck,
    OrderCreate,
    OrderDetail,
    OrderPage,
    OrderRead,
    PaymentStart,
    ReceiptRead,
    TransitionRead,
)

router = APIRouter(prefix="/v1", tags=["orders"])


def order_read(order: PaymentOrder) -> OrderRead:
    return OrderRead(
        id=order.id,
        case_id=order.case_id,
        application_id=order.application_id,
        tracking_number=order.tracking_number,
        item_code=order.item_code,
        applicant=FeeApplicant(
            subject=order.applicant_subject, kind=order.applicant_kind, enterprise=order.applicant_enterprise
        ),
        department=order.department,
        region=order.region,
        currency=order.currency,
        amount_fen=order.amount_fen,
        paid_fen=order.paid_fen,
        refunded_fen=order.refunded_fen,
        refundable_fen=service.order_refundable(order),
        status=order.status,
        channel=order.channel,
        pay_url=order.pay_url,
        created_at=order.created_at,
        expires_at=order.expires_at,
        paid_at=order.paid_at,
        lines=[
            FeeLine(code=ln.code, name=ln.name, amount_fen=ln.amount_fen, legal_basis=ln.legal_basis)
            for ln in order.lines
        ],
    )


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderRead,
    summary="Create an order from a fee request (the workflow, or finance staff); Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_ORDERS_WRITE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def create_order(
    order_in: OrderCreate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    access.ensure_can_create(principal, department=order_in.department, region=order_in.region)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="orders.create",
        key=idempotency_key,
        body=order_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/orders/{claim.record.body['id']}")
    order, _ = await service.create_order(
        session,
        request=order_in,
        source=f"api:{principal.subject}:{idempotency_key}",
        ttl_seconds=context.settings.order_ttl_seconds,
        actor=principal.subject,
    )
    body = order_read(order).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/orders/{order.id}")


@router.get(
    "/orders",
    response_model=OrderPage,
    summary="Orders the caller may see, newest first",
    dependencies=[scoped(access.SCOPE_ORDERS_READ)],
)
async def list_orders(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    status: OrderStatus | None = None,
    case_id: str | None = None,
) -> OrderPage:
    visible = access.visible_orders(principal)
    if visible is None:
        raise Forbidden("applicants, finance staff or systems with payment.orders.read only")
    where = list(visible)
    if status is not None:
        where.append(PaymentOrder.status == str(status))
    if case_id is not None:
        where.append(PaymentOrder.case_id == case_id)
    rows = await service.list_orders(session, where=where, limit=limit + 1, after=read_time_id_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    next_cursor = time_id_cursor(page[-1].created_at, page[-1].id) if more and page else None
    return OrderPage(items=[order_read(o) for o in page if access.can_read(principal, o)], next_cursor=next_cursor)


async def _readable(
    session: SessionDep, principal: PrincipalDep, order_id: uuid.UUID, *, lock: bool = False
) -> PaymentOrder:
    order = await service.get_order(session, order_id, lock=lock)
    if not access.can_read(principal, order):
        raise OrderNotFound()  # do not confirm that someone else's order exists
    return order


async def _payable(session: SessionDep, principal: PrincipalDep, order_id: uuid.UUID) -> PaymentOrder:
    """The order, locked, for its applicant holding ``payment.orders.pay``; 403 to others who may read it."""
    order = await service.get_order(session, order_id, lock=True)
    if not access.is_applicant_of(principal, order, scope=access.SCOPE_ORDERS_PAY):
        if not access.can_read(principal, order):
            raise OrderNotFound()
        access.ensure_applicant(principal, order)
    return order


@router.get(
    "/orders/{order_id}",
    response_model=OrderDetail,
    summary="One order with its state history",
    dependencies=[scoped(access.SCOPE_ORDERS_READ)],
)
async def get_order(order_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> OrderDetail:
    order = await _readable(session, principal, order_id)
    transitions = await service.transitions_of(session, order.id)
    return OrderDetail(
        **order_read(order).model_dump(),
        transitions=[
            TransitionRead(
                from_status=t.from_status, to_status=t.to_status, cause=t.cause, actor=t.actor, at=t.at, detail=t.detail
            )
            for t in transitions
        ],
    )


@router.post(
    "/orders/{order_id}/payments",
    response_model=OrderRead,
    summary="Pay: get the channel's pay page (applicant)",
    dependencies=[scoped(access.SCOPE_ORDERS_PAY)],
)
async def start_payment(
    order_id: uuid.UUID, payment_in: PaymentStart, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> OrderRead:
    order = await _payable(session, principal, order_id)
    adapter = context.channel(payment_in.channel)
    await service.start_payment(
        session,
        order=order,
        adapter=adapter,
        notify_url=f"{context.notify_url_base}/v1/channels/{adapter.name}/notify",
        return_url=context.settings.return_url,
        actor=principal.subject,
    )
    return order_read(order)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderRead,
    summary="Cancel an unpaid order (applicant)",
    dependencies=[scoped(access.SCOPE_ORDERS_PAY)],
)
async def cancel_order(
    order_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> OrderRead:
    order = await _payable(session, principal, order_id)
    await service.cancel_order(session, order=order, adapters=context.channels, actor=principal.subject)
    return order_read(order)


@router.get(
    "/orders/{order_id}/receipt",
    response_model=ReceiptRead,
    summary="Electronic receipt data of a paid order",
    dependencies=[scoped(access.SCOPE_ORDERS_READ)],
)
async def get_receipt(order_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ReceiptRead:
    order = await _readable(session, principal, order_id)
    receipt = await service.receipt_of(session, order.id)
    if receipt is None or order.paid_at is None:
        raise OrderNotFound("no receipt: the order is not paid")
    return ReceiptRead(
        receipt_no=receipt.receipt_no,
        check_code=receipt.check_code,
        order_id=order.id,
        tracking_number=order.tracking_number,
        payer=FeeApplicant(
            subject=receipt.payer_subject, kind=receipt.payer_kind, enterprise=order.applicant_enterprise
        ),
        payee_department=receipt.payee_department,
        amount_fen=receipt.amount_fen,
        currency=order.currency,
        lines=[FeeLine(**line) for line in receipt.lines],
        paid_at=order.paid_at,
        issued_at=receipt.issued_at,
    )


@router.post(
    "/channels/{channel}/notify",
    response_model=NotifyAck,
    summary="Asynchronous notification from a payment channel (authenticated by the channel's signature)",
    responses={400: {"content": {"application/problem+json": {}}}},
)
async def channel_notify(channel: str, request: Request, session: SessionDep, context: ContextDep) -> JSONResponse:
    adapter = context.channel(channel)
    outcome, reason = await service.handle_notification(session, adapter=adapter, body=await request.body())
    if outcome == "rejected":
        # Answered as an error (the channel retries, then gives up) but committed: the record is evidence.
        return problem_response(
            status=400, slug="invalid-notification", title="The channel notification is not valid", detail=reason
        )
    return JSONResponse({"code": "SUCCESS", "outcome": outcome})
