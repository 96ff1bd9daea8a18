"""Refunds: ``finance`` staff of the collecting department and region request; another one approves."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gov_common import idempotency
from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Page
from payment import access
from payment.deps import ContextDep
from payment.errors import InvalidTransition, OrderNotFound, RefundNotFound
from payment.models import IdempotencyRecord, Refund
from payment.orders.service import get_order
from payment.refunds import service
from payment.refunds.schemas import RefundCreate, RefundDecision, RefundRead

router = APIRouter(prefix="/v1", tags=["refunds"])


def refund_read(refund: Refund) -> RefundRead:
    return RefundRead.model_validate(refund, from_attributes=True)


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    response_model=RefundRead,
    summary="Request a refund (finance); Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_FINANCE)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def request_refund(
    order_id: uuid.UUID,
    refund_in: RefundCreate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    order = await get_order(session, order_id, lock=True)
    access.ensure_finance_on(principal, order, not_found=OrderNotFound())
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope=f"refunds.create:{order_id}",
        key=idempotency_key,
        body=refund_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/refunds/{claim.record.body['id']}")
    refund = await service.request_refund(
        session,
        order=order,
        amount_fen=refund_in.amount_fen,
        refundable_seen_fen=refund_in.refundable_seen_fen,
        reason=refund_in.reason,
        actor=principal.subject,
    )
    body = refund_read(refund).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/refunds/{refund.id}")


@router.get(
    "/orders/{order_id}/refunds",
    response_model=Page[RefundRead],
    summary="Refunds of an order (its applicant, finance staff; one page: all)",
    dependencies=[scoped(access.SCOPE_ORDERS_READ)],
)
async def list_refunds(order_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Page[RefundRead]:
    order = await get_order(session, order_id)
    if not access.is_applicant_of(principal, order):
        access.ensure_finance_on(principal, order, not_found=OrderNotFound())
    return Page(items=[refund_read(r) for r in await service.refunds_of(session, order.id)])


@router.post(
    "/refunds/{refund_id}/approve",
    response_model=RefundRead,
    summary="Approve and pay back (another finance member)",
    dependencies=[scoped(access.SCOPE_FINANCE)],
)
async def approve_refund(
    refund_id: uuid.UUID, decision: RefundDecision, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> RefundRead:
    refund = await service.get_refund(session, refund_id)
    order = await get_order(session, refund.order_id, lock=True)
    refund = await service.get_refund(session, refund_id, lock=True)
    access.ensure_finance_on(principal, order, not_found=RefundNotFound())
    if order.channel is None:
        raise InvalidTransition("the order was not paid through a channel")
    await service.approve_refund(
        session, order=order, refund=refund, adapter=context.channel(order.channel), actor=principal.subject
    )
    return refund_read(refund)


@router.post(
    "/refunds/{refund_id}/reject",
    response_model=RefundRead,
    summary="Reject a refund request (another finance member)",
    dependencies=[scoped(access.SCOPE_FINANCE)],
)
async def reject_refund(
    refund_id: uuid.UUID, decision: RefundDecision, session: SessionDep, principal: PrincipalDep
) -> RefundRead:
    refund = await service.get_refund(session, refund_id)
    order = await get_order(session, refund.order_id, lock=True)
    refund = await service.get_refund(session, refund_id, lock=True)
    access.ensure_finance_on(principal, order, not_found=RefundNotFound())
    await service.reject_refund(session, order=order, refund=refund, actor=principal.subject)
    return refund_read(refund)
