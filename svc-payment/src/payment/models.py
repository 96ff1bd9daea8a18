"""Tables of svc-payment. Only this service reads or writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin

_Money = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


_Ts = UtcDateTime()


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata


class PaymentOrder(Base):
    """A fee order (缴费订单) for one case; amounts in fen."""

    __tablename__ = "payment_order"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    # What created it: a fee-request event id, or an API call's idempotency scope; one order per source.
    source: Mapped[str] = mapped_column(sa.String(200), unique=True)
    case_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    application_id: Mapped[str] = mapped_column(sa.String(64))
    tracking_number: Mapped[str] = mapped_column(sa.String(64))
    item_code: Mapped[str] = mapped_column(sa.String(64))
    applicant_subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    applicant_kind: Mapped[str] = mapped_column(sa.String(20))
    # The applicant enterprise's credit code: whoever acts for it (not the agent who applied) sees the order.
    applicant_enterprise: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    department: Mapped[str] = mapped_column(sa.String(64), index=True)
    region: Mapped[str] = mapped_column(sa.String(12))
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    amount_fen: Mapped[int] = mapped_column(_Money)
    paid_fen: Mapped[int] = mapped_column(_Money, default=0)
    refunded_fen: Mapped[int] = mapped_column(_Money, default=0)
    reserved_refund_fen: Mapped[int] = mapped_column(_Money, default=0)  # requested, not yet decided
    status: Mapped[str] = mapped_column(sa.String(24), index=True)
    channel: Mapped[str | None] = mapped_column(sa.String(32))
    channel_trade_no: Mapped[str | None] = mapped_column(sa.String(64))
    pay_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)
    expires_at: Mapped[datetime] = mapped_column(_Ts, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(_Ts)
    last_queried_at: Mapped[datetime | None] = mapped_column(_Ts)
    # Paid together with other orders in one channel trade (合并支付), e.g. the fees of a one-thing bundle.
    combined_payment_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("combined_payment.id"), index=True)

    lines: Mapped[list[OrderLine]] = relationship(lazy="raise", order_by="OrderLine.position")

    @property
    def out_trade_no(self) -> str:
        """Our order number as the channel knows it (32 characters, what most channels accept)."""
        return self.id.hex

    @property
    def trade_reference(self) -> str:
        """The channel trade that pays this order: its own, or the combined payment's it is part of."""
        return self.combined_payment_id.hex if self.combined_payment_id else self.out_trade_no


class CombinedPayment(Base):
    """One channel trade paying several orders of one payer at once (合并支付): every fee of a one-thing
    bundle in one payment. Each order is still paid, booked, receipted and announced on its own, for its
    own department; the ledger keeps the trade (``LedgerEntry.trade_reference``) so the statement's one line
    matches their sum."""

    __tablename__ = "combined_payment"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    payer_subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    payer_kind: Mapped[str] = mapped_column(sa.String(20))
    payer_enterprise: Mapped[str | None] = mapped_column(sa.String(32))
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    amount_fen: Mapped[int] = mapped_column(_Money)
    status: Mapped[str] = mapped_column(sa.String(24))  # pending | paid | failed
    channel: Mapped[str] = mapped_column(sa.String(32))
    channel_trade_no: Mapped[str | None] = mapped_column(sa.String(64))
    pay_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)
    paid_at: Mapped[datetime | None] = mapped_column(_Ts)

    @property
    def out_trade_no(self) -> str:
        return self.id.hex


class OrderLine(Base):
    __tablename__ = "order_line"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payment_order.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    amount_fen: Mapped[int] = mapped_column(_Money)
    legal_basis: Mapped[str] = mapped_column(sa.String(500), default="")


class OrderTransition(Base):
    """Every change of an order's status, with its cause (全过程留痕)."""

    __tablename__ = "order_transition"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payment_order.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str] = mapped_column(sa.String(24))
    cause: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(_Ts)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class Refund(Base):
    __tablename__ = "refund"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payment_order.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(_Money)
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16))  # requested | succeeded | rejected
    refundable_seen_fen: Mapped[int] = mapped_column(_Money)
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    requested_at: Mapped[datetime] = mapped_column(_Ts)
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None] = mapped_column(_Ts)
    channel_refund_no: Mapped[str | None] = mapped_column(sa.String(64))


class Receipt(Base):
    """Electronic receipt data (电子票据) issued to the payer once the order is paid."""

    __tablename__ = "receipt"

    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payment_order.id"), primary_key=True)
    receipt_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    check_code: Mapped[str] = mapped_column(sa.String(16))
    issued_at: Mapped[datetime] = mapped_column(_Ts)
    payer_subject: Mapped[str] = mapped_column(sa.String(200))
    payer_kind: Mapped[str] = mapped_column(sa.String(20))
    payee_department: Mapped[str] = mapped_column(sa.String(64))
    amount_fen: Mapped[int] = mapped_column(_Money)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)


class LedgerEntry(Base):
    """Money that moved through a channel, as we booked it: what reconciliation compares."""

    __tablename__ = "ledger_entry"
    __table_args__ = (sa.UniqueConstraint("channel", "kind", "reference", name="uq_ledger_entry_reference"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payment_order.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # pay | refund
    channel: Mapped[str] = mapped_column(sa.String(32))
    reference: Mapped[str] = mapped_column(sa.String(64))  # out_trade_no for pay, refund id (hex) for refund
    # The channel trade when it paid several orders (a combined payment's id, hex): the statement shows it once.
    trade_reference: Mapped[str | None] = mapped_column(sa.String(64))
    channel_ref: Mapped[str] = mapped_column(sa.String(64))
    amount_fen: Mapped[int] = mapped_column(_Money)
    booked_at: Mapped[datetime] = mapped_column(_Ts)
    business_date: Mapped[date] = mapped_column(sa.Date, index=True)
    department: Mapped[str] = mapped_column(sa.String(64))
    region: Mapped[str] = mapped_column(sa.String(12))


class ChannelNotification(Base):
    """Every notification received, kept whatever its outcome (evidence for disputes)."""

    __tablename__ = "channel_notification"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime] = mapped_column(_Ts)
    out_trade_no: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(16))  # applied | duplicate | ignored | rejected
    reason: Mapped[str] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class ReconciliationReport(Base):
    __tablename__ = "reconciliation_report"
    __table_args__ = (sa.UniqueConstraint("channel", "business_date", name="uq_reconciliation_report_day"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32))
    business_date: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(_Ts)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    statement_rows: Mapped[int] = mapped_column(sa.Integer)
    ledger_rows: Mapped[int] = mapped_column(sa.Integer)
    matched: Mapped[int] = mapped_column(sa.Integer)
    statement_total_fen: Mapped[int] = mapped_column(_Money)
    ledger_total_fen: Mapped[int] = mapped_column(_Money)


class ReconciliationItem(Base):
    __tablename__ = "reconciliation_item"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reconciliation_report.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # missing | extra | mismatched
    entry_kind: Mapped[str] = mapped_column(sa.String(8))  # pay | refund
    reference: Mapped[str] = mapped_column(sa.String(64))
    order_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    department: Mapped[str | None] = mapped_column(sa.String(64))
    region: Mapped[str | None] = mapped_column(sa.String(12))
    ledger_amount_fen: Mapped[int | None] = mapped_column(_Money)
    statement_amount_fen: Mapped[int | None] = mapped_column(_Money)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer to a creating write, replayed for the same key and body."""
