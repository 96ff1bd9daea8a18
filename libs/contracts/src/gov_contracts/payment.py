"""Events svc-payment publishes on ``gov.payment.orders`` (subject = order id). Money in fen (integer),
currency CNY, times RFC 3339 with offset."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from gov_contracts.base import Event
from gov_contracts.workflow import FeeApplicant, FeeLine


class _OrderEvent(Event):
    topic: ClassVar[str] = "gov.payment.orders"
    publisher: ClassVar[str] = "/svc-payment"
    subject_field: ClassVar[str] = "order_id"

    order_id: str
    case_id: str
    application_id: str
    tracking_number: str
    department: str
    region: str
    currency: Literal["CNY"] = "CNY"


class OrderCreated(_OrderEvent):
    """``payment.order.created``: an order waits for the applicant's payment."""

    type: ClassVar[str] = "payment.order.created"

    item_code: str
    applicant: FeeApplicant
    amount_fen: int = Field(gt=0)
    lines: tuple[FeeLine, ...]
    expires_at: AwareDatetime


class OrderPaid(_OrderEvent):
    """``payment.order.paid``: the fees are paid; the case may continue."""

    type: ClassVar[str] = "payment.order.paid"

    amount_fen: int = Field(gt=0)
    channel: str
    channel_trade_no: str
    paid_at: AwareDatetime
    receipt_no: str


class OrderRefunded(_OrderEvent):
    """``payment.order.refunded``: money went back to the payer (in part or in full)."""

    type: ClassVar[str] = "payment.order.refunded"

    refund_id: str
    amount_fen: int = Field(gt=0, description="this refund")
    refunded_total_fen: int = Field(gt=0)
    paid_fen: int = Field(gt=0)
    status: Literal["partially_refunded", "refunded"]
    refunded_at: AwareDatetime
