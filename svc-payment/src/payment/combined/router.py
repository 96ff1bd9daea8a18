"""Combined payments (合并支付): the payer pays several of their orders in one channel trade, e.g. every fee
of a one-thing bundle at once; each department still collects, books and receipts its own order."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gov_common import idempotency
from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from payment import access
from payment.combined import service
from payment.combined.schemas import CombinedPaymentCreate, CombinedPaymentRead, DepartmentShare
from payment.deps import ContextDep
from payment.models import CombinedPayment, IdempotencyRecord, PaymentOrder
from payment.orders.router import order_read

router = APIRouter(prefix="/v1", tags=["combined payments"])


def combined_read(combined: CombinedPayment, orders: list[PaymentOrder]) -> CombinedPaymentRead:
    shares: dict[tuple[str, str], DepartmentShare] = {}
    for o in orders:
        share = shares.setdefault(
            (o.department, o.region), DepartmentShare(department=o.department, region=o.region, amount_fen=0, orders=0)
        )
        share.amount_fen += o.amount_fen
        share.orders += 1
    return CombinedPaymentRead(
        id=combined.id,
        status=combined.status,
        amount_fen=combined.amount_fen,
        currency=combined.currency,
        channel=combined.channel,
        pay_url=combined.pay_url,
        by_department=list(shares.values()),
        orders=[order_read(o) for o in orders],
        created_at=combined.created_at,
        paid_at=combined.paid_at,
    )


@router.post(
    "/combined-payments",
    status_code=201,
    response_model=CombinedPaymentRead,
    summary="Pay several of your unpaid orders in one channel trade (e.g. a one-thing bundle's fees); Idempotency-Key required",
    dependencies=[scoped(access.SCOPE_ORDERS_PAY)],
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def start_combined_payment(
    payment_in: CombinedPaymentCreate,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    context: ContextDep,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    """Refused with nothing changed when an order is not the caller's (404), not payable (409: paid, pending
    on its own, expired, cancelled) or the channel is unknown."""
    adapter = context.channel(payment_in.channel)
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="combined-payments.create",
        key=idempotency_key,
        body=payment_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/combined-payments/{claim.record.body['id']}")
    combined = await service.start(
        session,
        principal=principal,
        order_ids=payment_in.order_ids,
        adapter=adapter,
        notify_url=f"{context.notify_url_base}/v1/channels/{adapter.name}/notify",
        return_url=context.settings.return_url,
    )
    body = combined_read(combined, await service.members(session, combined.id)).model_dump(mode="json")
    answer = idempotency.remember(claim, status_code=201, body=body)
    return created(request, answer, f"/v1/combined-payments/{combined.id}")


@router.get(
    "/combined-payments/{combined_id}",
    response_model=CombinedPaymentRead,
    summary="A combined payment with its orders and what each department collects (its payer)",
    dependencies=[scoped(access.SCOPE_ORDERS_READ)],
)
async def get_combined_payment(
    combined_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> CombinedPaymentRead:
    combined = await service.get(session, principal=principal, combined_id=combined_id)
    return combined_read(combined, await service.members(session, combined.id))
