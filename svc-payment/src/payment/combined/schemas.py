"""Request and response bodies of combined payments (合并支付)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gov_common.http import AwareDateTime
from payment.orders.schemas import OrderRead


class CombinedPaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=50, description="the payer's unpaid orders, e.g. every fee order of a one-thing bundle"
    )
    channel: str = Field(default="sandbox", min_length=1, max_length=32)

    @field_validator("order_ids")
    @classmethod
    def _unique(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("an order appears twice")
        return value


class DepartmentShare(BaseModel):
    """What one department collects of the payment (each order is booked and receipted by its department)."""

    department: str
    region: str
    amount_fen: int
    orders: int


class CombinedPaymentRead(BaseModel):
    id: uuid.UUID
    status: str = Field(description="pending | paid | failed")
    amount_fen: int
    currency: str
    channel: str
    pay_url: str | None
    by_department: list[DepartmentShare]
    orders: list[OrderRead]
    created_at: AwareDateTime
    paid_at: AwareDateTime | None
