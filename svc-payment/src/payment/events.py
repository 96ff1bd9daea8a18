"""The events svc-payment consumes and publishes: the schemas other services code against.

Consumed: ``workflow.case.fee_requested`` on ``gov.workflow.cases`` (:class:`FeeRequested`).
Published on ``gov.payment.orders``, subject = order id: ``payment.order.created`` (:class:`OrderCreated`),
``payment.order.paid`` (:class:`OrderPaid`), ``payment.order.refunded`` (:class:`OrderRefunded`).
Money is in fen (integer), currency CNY, times RFC 3339 with offset.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

FEE_REQUESTS_TOPIC = "gov.workflow.cases"
FEE_REQUESTED = "workflow.case.fee_requested"
ORDERS_TOPIC = "gov.payment.orders"
ORDER_CREATED = "payment.order.created"
ORDER_PAID = "payment.order.paid"
ORDER_REFUNDED = "payment.order.refunded"
SOURCE = "/svc-payment"


class FeeLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    amount_fen: int = Field(gt=0, le=10**11)
    legal_basis: str = Field(default="", max_length=500)


class Applicant(BaseModel):
    subject: str = Field(min_length=1, max_length=200, description="who applied (for an enterprise: its agent)")
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = Field(
        default=None, min_length=1, max_length=32, description="the credit code, when an enterprise applies"
    )

    @model_validator(mode="after")
    def _enterprise_with_its_kind(self) -> Applicant:
        # Orders are opened to whoever acts for this enterprise: one without it would belong to nobody.
        if (self.kind == "enterprise") != (self.enterprise is not None):
            raise ValueError("an enterprise applicant names its enterprise (credit code), a citizen none")
        return self


class FeeRequested(BaseModel):
    """``workflow.case.fee_requested``: the case needs fees paid before it goes on."""

    case_id: str = Field(min_length=1, max_length=64)
    application_id: str = Field(min_length=1, max_length=64)
    tracking_number: str = Field(min_length=1, max_length=64)
    item_code: str = Field(min_length=1, max_length=64)
    applicant: Applicant
    department: str = Field(min_length=1, max_length=64)
    region: str = Field(pattern=r"^\d{6}(\d{6})?$")
    lines: list[FeeLine] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _unique_codes(self) -> FeeRequested:
        if len({line.code for line in self.lines}) != len(self.lines):
            raise ValueError("fee line codes must be unique within a request")
        return self


class _OrderEvent(BaseModel):
    order_id: str
    case_id: str
    application_id: str
    tracking_number: str
    department: str
    region: str
    currency: Literal["CNY"] = "CNY"


class OrderCreated(_OrderEvent):
    """``payment.order.created``: an order waits for the applicant's payment."""

    item_code: str
    applicant: Applicant
    amount_fen: int = Field(gt=0)
    lines: list[FeeLine]
    expires_at: AwareDatetime


class OrderPaid(_OrderEvent):
    """``payment.order.paid``: the fees are paid; the case may continue."""

    amount_fen: int = Field(gt=0)
    channel: str
    channel_trade_no: str
    paid_at: AwareDatetime
    receipt_no: str


class OrderRefunded(_OrderEvent):
    """``payment.order.refunded``: money went back to the payer (in part or in full)."""

    refund_id: str
    amount_fen: int = Field(gt=0, description="this refund")
    refunded_total_fen: int = Field(gt=0)
    paid_fen: int = Field(gt=0)
    status: Literal["partially_refunded", "refunded"]
    refunded_at: AwareDatetime


PUBLISHED: dict[str, type[BaseModel]] = {
    ORDER_CREATED: OrderCreated,
    ORDER_PAID: OrderPaid,
    ORDER_REFUNDED: OrderRefunded,
}
CONSUMED: dict[str, type[BaseModel]] = {FEE_REQUESTED: FeeRequested}


def as_data(model: BaseModel) -> dict[str, object]:
    """An event's ``data``: JSON-ready, times as RFC 3339 strings."""
    return model.model_dump(mode="json")
