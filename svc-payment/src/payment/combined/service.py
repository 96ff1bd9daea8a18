"""Combined payments (合并支付): one channel trade for several unpaid orders of one payer, e.g. every fee of a
one-thing bundle (一件事) whose cases are handled by different departments. The orders stay what they are
(each its department's, with its own ledger entry, receipt and ``payment.order.paid``); the trade is paid
once. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from gov_common.auth import Principal
from gov_standards.china_time import utcnow
from payment import access
from payment.channels.base import ChannelAdapter, ChannelError
from payment.domain import OrderStatus
from payment.errors import ChannelUnavailable, CombinedPaymentNotFound, OrderNotFound, OrderNotPayable
from payment.models import CombinedPayment, PaymentOrder
from payment.orders.service import transition

S = OrderStatus
PAYABLE = frozenset({S.CREATED, S.FAILED})


async def members(session: AsyncSession, combined_id: uuid.UUID) -> list[PaymentOrder]:
    query = (
        sa.select(PaymentOrder)
        .where(PaymentOrder.combined_payment_id == combined_id)
        .options(selectinload(PaymentOrder.lines))
        .order_by(PaymentOrder.department, PaymentOrder.id)
    )
    return list((await session.execute(query)).scalars())


async def get(session: AsyncSession, *, principal: Principal, combined_id: uuid.UUID) -> CombinedPayment:
    """The payer's own combined payment; anyone else is told it does not exist."""
    combined = await session.get(CombinedPayment, combined_id)
    if combined is None or not access.is_payer_of(principal, combined):
        raise CombinedPaymentNotFound()
    return combined


async def start(
    session: AsyncSession,
    *,
    principal: Principal,
    order_ids: Sequence[uuid.UUID],
    adapter: ChannelAdapter,
    notify_url: str,
    return_url: str,
) -> CombinedPayment:
    """One trade for all ``order_ids``: each must be the caller's to pay, unpaid, not expired and in no other
    open combined payment, all in one currency. Refused with nothing changed otherwise (each order named)."""
    orders = list(
        (
            await session.execute(
                sa.select(PaymentOrder)
                .where(PaymentOrder.id.in_(order_ids))
                .options(selectinload(PaymentOrder.lines))
                .order_by(PaymentOrder.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    found = {o.id: o for o in orders}
    unknown = [str(i) for i in order_ids if i not in found or not access.can_read(principal, found[i])]
    if unknown:
        raise OrderNotFound("no such order of yours", orders=unknown)  # not confirmed to exist
    for order in orders:
        access.ensure_applicant(principal, order)
    now = utcnow()
    blocked = [
        {"order_id": str(o.id), "current_status": o.status}
        for o in orders
        if S(o.status) not in PAYABLE or o.expires_at <= now
    ]
    if blocked:
        raise OrderNotPayable("every order must be unpaid and not expired", orders=blocked)
    if len({o.currency for o in orders}) != 1:
        raise OrderNotPayable("the orders are in different currencies")
    first = orders[0]
    combined = CombinedPayment(
        id=uuid.uuid4(),
        payer_subject=principal.subject,
        payer_kind=first.applicant_kind,
        payer_enterprise=first.applicant_enterprise,
        currency=first.currency,
        amount_fen=sum(o.amount_fen for o in orders),
        status="pending",
        channel=adapter.name,
        created_at=now,
        updated_at=now,
    )
    session.add(combined)
    await session.flush()
    try:
        created = await adapter.create_trade(
            out_trade_no=combined.out_trade_no,
            amount_fen=combined.amount_fen,
            subject=f"{len(orders)} fee orders: " + " ".join(o.tracking_number for o in orders)[:200],
            notify_url=notify_url,
            return_url=return_url,
        )
    except ChannelError as exc:
        raise ChannelUnavailable(str(exc)) from exc
    combined.channel_trade_no, combined.pay_url = created.trade_no, created.pay_url
    for order in orders:
        order.combined_payment_id = combined.id
        order.channel, order.channel_trade_no, order.pay_url = adapter.name, created.trade_no, created.pay_url
        order.last_queried_at = None
        await transition(
            session,
            order,
            S.PENDING,
            cause="combined_payment_started",
            actor=principal.subject,
            detail={"channel": adapter.name, "combined_payment_id": str(combined.id)},
        )
    await session.flush()
    return combined
