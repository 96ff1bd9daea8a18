from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime
from gov_contracts.workflow import FeeApplicant, FeeLine, FeeRequested


class OrderCreate(FeeRequested):
    """The same content as ``workflow.case.fee_requested``."""

    model_config = ConfigDict(extra="forbid")


class PaymentStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(default="sandbox", min_length=1, max_length=32)


class TransitionRead(BaseModel):
    from_status: str | None
    to_status: str
    cause: str
    actor: str
    at: AwareDateTime
    detail: dict[str, Any]


class OrderRead(BaseModel):
    id: uuid.UUID
    case_id: str
    application_id: str
    tracking_number: str
    item_code: str
    applicant: FeeApplicant
    department: str
    region: str
    currency: str
    amount_fen: int
    paid_fen: int
    refunded_fen: int
    refundable_fen: int
    status: str
    channel: str | None
    pay_url: str | None
    created_at: AwareDateTime
    expires_at: AwareDateTime
    paid_at: AwareDateTime | None
    lines: list[FeeLine]


class OrderDetail(OrderRead):
    transitions: list[TransitionRead]


class OrderPage(BaseModel):
    items: list[OrderRead]
    next_cursor: str | None


class ReceiptRead(BaseModel):
    """Electronic receipt data (电子票据) for the payer."""

    receipt_no: str
    check_code: str
    order_id: uuid.UUID
    tracking_number: str
    payer: FeeApplicant
    payee_department: str
    amount_fen: int
    currency: str
    lines: list[FeeLine]
    paid_at: AwareDateTime
    issued_at: AwareDateTime


class NotifyAck(BaseModel):
    """What the channel is told once its notification is taken (it stops retrying)."""

    code: str = Field(description='"SUCCESS": the channel stops retrying', examples=["SUCCESS"])
    outcome: str = Field(description="what the notification did to the order (e.g. paid, duplicate)")
