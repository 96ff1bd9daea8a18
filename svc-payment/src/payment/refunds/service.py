"""Refunds under four eyes: finance staff request, another finance member approves; the request names
the refundable amount as its author read it, and a stale one is refused. Every check runs under the
order's row lock, so concurrent requests cannot together exceed what was paid."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

import gov_contracts
from gov_contracts import payment as contract
from gov_standards.china_time import utcnow
from payment.channels.base import ChannelAdapter, ChannelError
from payment.domain import PAID_STATES, business_date, status_after_refund
from payment.errors import (
    ChannelUnavailable,
    InvalidTransition,
    RefundExceedsPaid,
    RefundNotFound,
    RefundNotPending,
    SameApprover,
    StaleRefundable,
)
from payment.models import LedgerEntry, PaymentOrder, Refund
from payment.orders.service import order_refundable, transition


async def request_refund(
    session: AsyncSession, *, order: PaymentOrder, amount_fen: int, refundable_seen_fen: int, reason: str, actor: str
) -> Refund:
    """The caller holds the order's row lock."""
    if order.status not in PAID_STATES:
        raise InvalidTransition(f"an order {order.status} has nothing to refund", current_status=order.status)
    refundable = order_refundable(order)
    if refundable_seen_fen != refundable:
        raise StaleRefundable(refundable_fen=refundable, refundable_seen_fen=refundable_seen_fen)
    if amount_fen > refundable:
        raise RefundExceedsPaid(refundable_fen=refundable, amount_fen=amount_fen)
    refund = Refund(
        id=uuid.uuid4(),
        order_id=order.id,
        amount_fen=amount_fen,
        reason=reason,
        status="requested",
        refundable_seen_fen=refundable_seen_fen,
        requested_by=actor,
        requested_at=utcnow(),
    )
    order.reserved_refund_fen += amount_fen
    order.updated_at = refund.requested_at
    session.add(refund)
    await session.flush()
    return refund


async def get_refund(session: AsyncSession, refund_id: uuid.UUID, *, lock: bool = False) -> Refund:
    query = sa.select(Refund).where(Refund.id == refund_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    refund = (await session.execute(query)).scalar_one_or_none()
    if refund is None:
        raise RefundNotFound()
    return refund


async def approve_refund(
    session: AsyncSession, *, order: PaymentOrder, refund: Refund, adapter: ChannelAdapter, actor: str
) -> Refund:
    """Pay the money back through the channel (idempotent by refund id) and book it. The caller holds
    the order's row lock; a channel failure rolls the approval back, and approving again is safe."""
    if refund.status != "requested":
        raise RefundNotPending(current_status=refund.status)
    if refund.requested_by == actor:
        raise SameApprover()
    if order.refunded_fen + refund.amount_fen > order.paid_fen:  # defence in depth; reservations prevent it
        raise RefundExceedsPaid(refundable_fen=order.paid_fen - order.refunded_fen, amount_fen=refund.amount_fen)
    try:
        result = await adapter.refund(
            out_trade_no=order.trade_reference, out_refund_no=refund.id.hex, amount_fen=refund.amount_fen
        )
    except ChannelError as exc:
        raise ChannelUnavailable(str(exc)) from exc
    now = utcnow()
    refund.status, refund.decided_by, refund.decided_at, refund.channel_refund_no = (
        "succeeded",
        actor,
        now,
        result.refund_no,
    )
    order.reserved_refund_fen -= refund.amount_fen
    order.refunded_fen += refund.amount_fen
    target = status_after_refund(paid_fen=order.paid_fen, refunded_fen=order.refunded_fen)
    await transition(session, order, target, cause="refund_approved", actor=actor, detail={"refund_id": str(refund.id)})
    session.add(
        LedgerEntry(
            id=uuid.uuid4(),
            order_id=order.id,
            kind="refund",
            channel=adapter.name,
            reference=refund.id.hex,
            channel_ref=result.refund_no,
            amount_fen=refund.amount_fen,
            booked_at=now,
            business_date=business_date(now),
            department=order.department,
            region=order.region,
        )
    )
    await session.flush()
    event = contract.OrderRefunded(
        order_id=str(order.id),
        case_id=order.case_id,
        application_id=order.application_id,
        tracking_number=order.tracking_number,
        department=order.department,
        region=order.region,
        refund_id=str(refund.id),
        amount_fen=refund.amount_fen,
        refunded_total_fen=order.refunded_fen,
        paid_fen=order.paid_fen,
        status=target.value,
        refunded_at=now,
    )
    await gov_contracts.publish(session, event)
    return refund


async def reject_refund(session: AsyncSession, *, order: PaymentOrder, refund: Refund, actor: str) -> Refund:
    if refund.status != "requested":
        raise RefundNotPending(current_status=refund.status)
    if refund.requested_by == actor:
        raise SameApprover()
    refund.status, refund.decided_by, refund.decided_at = "rejected", actor, utcnow()
    order.reserved_refund_fen -= refund.amount_fen
    order.updated_at = refund.decided_at
    await session.flush()
    return refund


async def refunds_of(session: AsyncSession, order_id: uuid.UUID) -> list[Refund]:
    query = sa.select(Refund).where(Refund.order_id == order_id).order_by(Refund.requested_at, Refund.id)
    return list((await session.execute(query)).scalars())
