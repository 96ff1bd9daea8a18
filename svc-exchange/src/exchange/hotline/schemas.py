"""Bodies of the city platforms' replies to 12345 work orders forwarded to them."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime


class ReplyIn(BaseModel):
    """What the city's hotline did with the order: ``answered`` (its answer; the province calls the caller
    back), ``closed`` (it called the caller back itself; the answer is required unless it answered
    earlier) or ``returned`` (not its matter; ``reason`` required)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["answered", "closed", "returned"]
    answer: str | None = Field(default=None, min_length=1, max_length=4000)
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class ForwardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: uuid.UUID
    number: str
    city: str
    status: str = Field(description="forwarded, answered, closed or returned")
    forwarded_at: AwareDateTime
    replied_at: AwareDateTime | None
