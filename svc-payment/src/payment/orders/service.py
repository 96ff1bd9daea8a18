"""Orders: creation from a fee request, the state graph, payment through a channel, the channel's facts
(notifications and queries) applied once, expiry and receipts. Functions flush, never commit."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

import gov_contracts
from gov_contracts import payment as contract
from gov_contracts.workflow import FeeRequested
from gov_standards.china_time import utcnow
from payment.channels.base import ChannelAdapter, ChannelError, NotificationRejected, TradeState
from payment.domain import UNPAID, OrderStatus, business_date, can_transition, refundable_fen
from payment.errors import AmountMismatch, ChannelUnavailable, InvalidTransition, OrderNotFound, OrderNotPayable
from payment.models import (
    ChannelNotification,
    CombinedPayment,
    LedgerEntry,
    OrderLine,
    OrderTransition,
    PaymentOrder,
    Receipt,
)

log = logging.getLogger(__name__)
S = OrderStatus


async def get_order(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> PaymentOrder:
    """The order with its lines; ``lock`` takes its row lock until the transaction ends (PostgreSQL)."""
    query = sa.select(PaymentOrder).where(PaymentOrder.id == order_id).options(selectinload(PaymentOrder.lines))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise OrderNotFound()
    return order


def _order_event_base(order: PaymentOrder) -> dict[str, str]:
    return {
        "order_id": str(order.id),
        "case_id": order.case_id,
        "application_id": order.application_id,
        "tracking_number": order.tracking_number,
        "department": order.department,
        "region": order.region,
        "currency": order.currency,
    }


async def transition(
    session: AsyncSession,
    order: PaymentOrder,
    to: OrderStatus,
    *,
    cause: str,
    actor: str,
    detail: dict[str, object] | None = None,
) -> None:
    """Move ``order`` along the documented graph and record why; the caller holds the row lock."""
    if not can_transition(order.status, to):
        raise InvalidTransition(
            f"an order {order.status} cannot become {to}", current_status=order.status, target=str(to)
        )
    now = utcnow()
    session.add(
        OrderTransition(
            id=uuid.uuid4(),
            order_id=order.id,
            from_status=order.status,
            to_status=str(to),
            cause=cause,
            actor=actor,
            at=now,
            detail=detail or {},
        )
    )
    order.status, order.updated_at = str(to), now


async def create_order(
    session: AsyncSession, *, request: FeeRequested, source: str, ttl_seconds: int, actor: str
) -> tuple[PaymentOrder, bool]:
    """Create the order for a fee request; the same ``source`` twice returns the first order (False)."""
    existing = await session.scalar(sa.select(PaymentOrder.id).where(PaymentOrder.source == source))
    if existing is not None:
        return await get_order(session, existing), False
    amount = sum(line.amount_fen for line in request.lines)
    if amount <= 0:
        raise AmountMismatch("the order amount must be positive")
    now = utcnow()
    order = PaymentOrder(
        id=uuid.uuid4(),
        source=source,
        case_id=request.case_id,
        application_id=request.application_id,
        tracking_number=request.tracking_number,
        item_code=request.item_code,
        applicant_subject=request.applicant.subject,
        applicant_kind=request.applicant.kind,
        applicant_enterprise=request.applicant.enterprise,
        department=request.department,
        region=request.region,
        currency="CNY",
        amount_fen=amount,
        paid_fen=0,
        refunded_fen=0,
        reserved_refund_fen=0,
        status=str(S.CREATED),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    order.lines = [
        OrderLine(
            id=uuid.uuid4(),
            order_id=order.id,
            position=i,
            code=line.code,
            name=line.name,
            amount_fen=line.amount_fen,
            legal_basis=line.legal_basis,
        )
        for i, line in enumerate(request.lines)
    ]
    session.add(order)
    await session.flush()  # the order row first: the transition refers to it
    session.add(
        OrderTransition(
            id=uuid.uuid4(),
            order_id=order.id,
            from_status=None,
            to_status=str(S.CREATED),
            cause="fee_requested",
            actor=actor,
            at=now,
            detail={"source": source},
        )
    )
    await session.flush()
    await gov_contracts.publish(
        session,
        contract.OrderCreated(
            **_order_event_base(order),
            item_code=order.item_code,
            applicant=request.applicant,
            amount_fen=amount,
            lines=request.lines,
            expires_at=order.expires_at,
        ),
    )
    return order, True


async def start_payment(
    session: AsyncSession,
    *,
    order: PaymentOrder,
    adapter: ChannelAdapter,
    notify_url: str,
    return_url: str,
    actor: str,
) -> PaymentOrder:
    """Open (or reuse) the channel trade and hand back the pay page; the order becomes ``pending``."""
    if order.status == S.PENDING and order.channel == adapter.name and order.pay_url:
        return order
    if order.status not in (S.CREATED, S.FAILED):
        raise OrderNotPayable(f"the order is {order.status}", current_status=order.status)
    if order.expires_at <= utcnow():
        raise OrderNotPayable("the order has expired", current_status=order.status)
    try:
        created = await adapter.create_trade(
            out_trade_no=order.out_trade_no,
            amount_fen=order.amount_fen,
            subject=f"{order.tracking_number} {order.item_code}",
            notify_url=notify_url,
            return_url=return_url,
        )
    except ChannelError as exc:
        raise ChannelUnavailable(str(exc)) from exc
    order.channel, order.channel_trade_no, order.pay_url = adapter.name, created.trade_no, created.pay_url
    order.last_queried_at = None
    if order.status != S.PENDING:
        await transition(
            session, order, S.PENDING, cause="payment_started", actor=actor, detail={"channel": adapter.name}
        )
    return order


def _receipt_no(order: PaymentOrder, paid_at: datetime) -> str:
    return f"GX{business_date(paid_at):%Y%m%d}{secrets.token_hex(5).upper()}"


async def _mark_paid(session: AsyncSession, order: PaymentOrder, state: TradeState, *, cause: str, actor: str) -> None:
    """Paid: the ledger entry, the receipt and ``payment.order.paid`` of this order. ``state.amount_fen`` is
    this order's share when a combined payment paid it (the trade is then ``trade_reference``)."""
    assert state.trade_no is not None and state.amount_fen is not None
    paid_at = state.paid_at or utcnow()
    order.paid_fen, order.paid_at, order.channel_trade_no = state.amount_fen, paid_at, state.trade_no
    await transition(session, order, S.PAID, cause=cause, actor=actor, detail={"trade_no": state.trade_no})
    channel = order.channel or "unknown"
    session.add(
        LedgerEntry(
            id=uuid.uuid4(),
            order_id=order.id,
            kind="pay",
            channel=channel,
            reference=order.out_trade_no,
            trade_reference=order.combined_payment_id.hex if order.combined_payment_id else None,
            channel_ref=state.trade_no,
            amount_fen=state.amount_fen,
            booked_at=paid_at,
            business_date=business_date(paid_at),
            department=order.department,
            region=order.region,
        )
    )
    receipt_no = _receipt_no(order, paid_at)
    lines = [
        {"code": ln.code, "name": ln.name, "amount_fen": ln.amount_fen, "legal_basis": ln.legal_basis}
        for ln in order.lines
    ]
    check = hashlib.sha256(f"{receipt_no}|{order.id}|{state.amount_fen}|{paid_at.isoformat()}".encode()).hexdigest()
    session.add(
        Receipt(
            order_id=order.id,
            receipt_no=receipt_no,
            check_code=check[:12].upper(),
            issued_at=utcnow(),
            payer_subject=order.applicant_subject,
            payer_kind=order.applicant_kind,
            payee_department=order.department,
            amount_fen=state.amount_fen,
            lines=lines,
        )
    )
    await session.flush()
    await gov_contracts.publish(
        session,
        contract.OrderPaid(
            **_order_event_base(order),
            amount_fen=state.amount_fen,
            channel=channel,
            channel_trade_no=state.trade_no,
            paid_at=paid_at,
            receipt_no=receipt_no,
        ),
    )


async def apply_trade_state(
    session: AsyncSession, *, order: PaymentOrder, state: TradeState, cause: str, actor: str
) -> str:
    """Apply what the channel says about the order's trade (the caller holds the row lock and verified
    the signature). Returns the outcome: applied, duplicate or ignored. Raises NotificationRejected when
    the facts contradict the order (amount, currency), which changes nothing."""
    if state.out_trade_no != order.out_trade_no:
        raise NotificationRejected("order id mismatch", state.out_trade_no)
    if state.status == "paid":
        if state.amount_fen != order.amount_fen:
            raise NotificationRejected("amount mismatch", state.out_trade_no)
        if state.currency != order.currency:
            raise NotificationRejected("currency mismatch", state.out_trade_no)
        if state.trade_no is None:
            raise NotificationRejected("no trade number", state.out_trade_no)
        if order.status in UNPAID:
            await _mark_paid(session, order, state, cause=cause, actor=actor)
            return "applied"
        if order.paid_at is not None:
            return "duplicate"
        # Paid at the channel although we closed the order: money to give back; reconciliation shows it.
        log.error("channel reports payment of %s order %s", order.status, order.id)
        return "ignored"
    if state.status == "failed" and order.status == S.PENDING and state.trade_no == order.channel_trade_no:
        await transition(session, order, S.FAILED, cause=cause, actor=actor, detail={"trade_no": state.trade_no})
        return "applied"
    return "ignored"  # waiting, closed, unknown, or older news than what we know


async def apply_combined_state(
    session: AsyncSession, *, combined_id: uuid.UUID, state: TradeState, cause: str, actor: str
) -> str:
    """Apply what the channel says about a combined payment's trade to the payment and each of its orders
    (row locks: the payment, then its orders in id order). Each order is paid with its own amount, so its
    department's ledger, receipt and ``payment.order.paid`` are its own. Raises NotificationRejected when the
    facts contradict the payment (amount, currency), which changes nothing."""
    combined = await session.get(CombinedPayment, combined_id, with_for_update=True, populate_existing=True)
    if combined is None or state.out_trade_no != combined.out_trade_no:
        raise NotificationRejected("order id mismatch", state.out_trade_no)
    orders = list(
        (
            await session.execute(
                sa.select(PaymentOrder)
                .where(PaymentOrder.combined_payment_id == combined.id)
                .options(selectinload(PaymentOrder.lines))
                .order_by(PaymentOrder.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    if state.status == "paid":
        if state.amount_fen != combined.amount_fen or sum(o.amount_fen for o in orders) != combined.amount_fen:
            raise NotificationRejected("amount mismatch", state.out_trade_no)
        if state.currency != combined.currency:
            raise NotificationRejected("currency mismatch", state.out_trade_no)
        if state.trade_no is None:
            raise NotificationRejected("no trade number", state.out_trade_no)
        if combined.status == "paid":
            return "duplicate"
        combined.status, combined.paid_at, combined.updated_at = "paid", state.paid_at or utcnow(), utcnow()
        combined.channel_trade_no = state.trade_no
        for order in orders:
            if order.status in UNPAID:
                share = replace(state, out_trade_no=order.out_trade_no, amount_fen=order.amount_fen)
                await _mark_paid(session, order, share, cause=cause, actor=actor)
            elif order.paid_at is None:
                # Paid at the channel although we closed this order: money to give back; reconciliation shows it.
                log.error("channel reports payment of %s order %s (combined %s)", order.status, order.id, combined.id)
        return "applied"
    if state.status == "failed" and combined.status == "pending" and state.trade_no == combined.channel_trade_no:
        combined.status, combined.updated_at = "failed", utcnow()
        for order in orders:
            if order.status == S.PENDING:
                await transition(
                    session, order, S.FAILED, cause=cause, actor=actor, detail={"trade_no": state.trade_no}
                )
        return "applied"
    return "ignored"


async def handle_notification(session: AsyncSession, *, adapter: ChannelAdapter, body: bytes) -> tuple[str, str]:
    """Verify and apply a channel notification once. Returns (outcome, reason); every notification is
    recorded, a rejected one changes nothing else."""
    now = utcnow()
    record = ChannelNotification(id=uuid.uuid4(), channel=adapter.name, received_at=now, payload={})
    try:
        note = adapter.parse_notification(body)
        record.out_trade_no = note.out_trade_no
        record.payload = {
            "notify_id": note.notify_id,
            "trade_no": note.trade_no,
            "status": note.status,
            "amount_fen": note.amount_fen,
            "currency": note.currency,
        }
        try:
            order_id = uuid.UUID(hex=note.out_trade_no)
        except ValueError as exc:
            raise NotificationRejected("unknown order", note.out_trade_no) from exc
        async with session.begin_nested():
            combined = await session.get(CombinedPayment, order_id)
            if combined is not None:
                if combined.channel != adapter.name:
                    raise NotificationRejected("order not paid through this channel", note.out_trade_no)
                outcome = await apply_combined_state(
                    session,
                    combined_id=combined.id,
                    state=note,
                    cause="channel_notification",
                    actor=f"channel:{adapter.name}",
                )
                record.outcome, record.reason = outcome, note.status
                session.add(record)
                await session.flush()
                return record.outcome, record.reason
            try:
                order = await get_order(session, order_id, lock=True)
            except OrderNotFound as exc:
                raise NotificationRejected("unknown order", note.out_trade_no) from exc
            if order.channel != adapter.name:
                raise NotificationRejected("order not paid through this channel", note.out_trade_no)
            outcome = await apply_trade_state(
                session, order=order, state=note, cause="channel_notification", actor=f"channel:{adapter.name}"
            )
        record.outcome, record.reason = outcome, note.status
    except NotificationRejected as exc:
        record.out_trade_no = exc.out_trade_no
        record.payload = {"raw": body[:4096].decode(errors="replace")}  # evidence; channels send no personal data
        record.outcome, record.reason = "rejected", exc.reason
        # The reason and the channel's order number only: notifications carry no personal data we log.
        log.warning("rejected %s notification for %s: %s", adapter.name, exc.out_trade_no, exc.reason)
    session.add(record)
    await session.flush()
    return record.outcome, record.reason


async def settle_with_channel(
    session: AsyncSession, *, order: PaymentOrder, adapter: ChannelAdapter, close: bool, actor: str, cause: str
) -> str:
    """Ask the channel for the trade's final state (closing it first when ``close``) and apply it.
    Returns the outcome of :func:`apply_trade_state`, or ``closed`` when the trade can no longer be paid.
    An order paid in a combined payment asks about that trade, and its news applies to every order of it."""
    reference = order.trade_reference
    state = await (adapter.close(reference) if close else adapter.query(reference))
    order.last_queried_at = utcnow()
    if order.combined_payment_id is not None and state.status in ("paid", "failed"):
        return await apply_combined_state(
            session, combined_id=order.combined_payment_id, state=state, cause=cause, actor=actor
        )
    if state.status == "paid":
        return await apply_trade_state(session, order=order, state=state, cause=cause, actor=actor)
    if state.status in ("closed", "unknown"):
        return "closed"
    if state.status == "waiting":
        return "open"
    return await apply_trade_state(session, order=order, state=state, cause=cause, actor=actor)


async def expire_order(session: AsyncSession, *, order: PaymentOrder, adapters: dict[str, ChannelAdapter]) -> str:
    """Expire an unpaid order past its time, unless the channel says it was paid meanwhile; the caller
    holds the row lock. Returns the order's status afterwards."""
    if order.status not in UNPAID or order.expires_at > utcnow():
        return order.status
    if order.channel is not None and order.channel_trade_no is not None:
        adapter = adapters.get(order.channel)
        if adapter is None:
            return order.status
        outcome = await settle_with_channel(
            session, order=order, adapter=adapter, close=True, actor="system:expiry", cause="channel_query"
        )
        if order.status not in UNPAID:  # paid after all
            return order.status
        if outcome == "open":  # the channel would not close it: try again on the next sweep
            return order.status
    await transition(session, order, S.EXPIRED, cause="expired", actor="system:expiry")
    return order.status


async def cancel_order(
    session: AsyncSession, *, order: PaymentOrder, adapters: dict[str, ChannelAdapter], actor: str
) -> None:
    if order.status not in UNPAID:
        raise InvalidTransition(f"an order {order.status} cannot be cancelled", current_status=order.status)
    if order.combined_payment_id is not None and order.status == S.PENDING:
        # Closing the trade would close it for the other orders paid with it.
        raise InvalidTransition(
            "the order is being paid together with others",
            current_status=order.status,
            combined_payment_id=str(order.combined_payment_id),
        )
    if order.channel is not None and order.channel_trade_no is not None and order.channel in adapters:
        try:
            await settle_with_channel(
                session, order=order, adapter=adapters[order.channel], close=True, actor=actor, cause="channel_query"
            )
        except ChannelError as exc:
            raise ChannelUnavailable(str(exc)) from exc
        if order.status not in UNPAID:
            raise InvalidTransition("the order was paid meanwhile", current_status=order.status)
    await transition(session, order, S.CANCELLED, cause="cancelled_by_applicant", actor=actor)


def order_refundable(order: PaymentOrder) -> int:
    return refundable_fen(
        paid_fen=order.paid_fen, refunded_fen=order.refunded_fen, reserved_fen=order.reserved_refund_fen
    )


async def list_orders(
    session: AsyncSession,
    *,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[PaymentOrder]:
    query = sa.select(PaymentOrder).options(selectinload(PaymentOrder.lines)).where(*where)
    if after is not None:
        created, oid = after
        query = query.where(
            sa.or_(
                PaymentOrder.created_at < created, sa.and_(PaymentOrder.created_at == created, PaymentOrder.id < oid)
            )
        )
    query = query.order_by(PaymentOrder.created_at.desc(), PaymentOrder.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def transitions_of(session: AsyncSession, order_id: uuid.UUID) -> list[OrderTransition]:
    query = (
        sa.select(OrderTransition)
        .where(OrderTransition.order_id == order_id)
        .order_by(OrderTransition.at, OrderTransition.id)
    )
    return list((await session.execute(query)).scalars())


async def receipt_of(session: AsyncSession, order_id: uuid.UUID) -> Receipt | None:
    return await session.get(Receipt, order_id)
