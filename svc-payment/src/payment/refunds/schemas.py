from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: int = Field(gt=0, le=10**11)
    refundable_seen_fen: int = Field(ge=0, description="the order's refundable_fen as the requester read it")
    reason: str = Field(min_length=1, max_length=500)


class RefundDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


class RefundRead(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    amount_fen: int
    reason: str
    status: str
    refundable_seen_fen: int
    requested_by: str
    requested_at: AwareDateTime
    decided_by: str | None
    decided_at: AwareDateTime | None
