"""Request and response shapes of staff tasks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime

Action = Literal["accept", "refuse", "request_supplement", "complete", "approve", "reject"]


class Missing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    material: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


class TaskComplete(BaseModel):
    """Complete a claimed task. ``reason`` for refuse/reject, ``legal_basis`` for reject, ``missing`` for
    request_supplement."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    action: Action
    opinion: str = Field(min_length=1, max_length=2000)
    reason: str | None = Field(default=None, min_length=1, max_length=1000)
    legal_basis: str | None = Field(default=None, min_length=1, max_length=1000)
    missing: list[Missing] | None = Field(default=None, min_length=1, max_length=50)


class TaskRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    tracking_number: str
    item_code: str
    item_name: str
    case_status: str
    sla_level: str = Field(description="the case's deadline colour: green, yellow (warning) or red (overdue)")
    applicant_name_masked: str = Field(description="the applicant's name as staff lists show it (masked)")
    kind: str
    name: str
    role: str
    department: str
    region: str
    status: str
    assignee: str | None
    due: date
    overdue: bool
    created_at: AwareDateTime
    claimed_at: AwareDateTime | None
    completed_at: AwareDateTime | None


class TaskPage(BaseModel):
    items: list[TaskRead]
    next_cursor: str | None


class ItemCount(BaseModel):
    item_code: str
    item_name: str
    count: int


class TaskCounts(BaseModel):
    """How many open and claimed tasks the inbox holds under the same filters, per state and colour."""

    open: int = Field(description="not claimed by anyone")
    claimed: int = Field(description="claimed by someone (me included)")
    claimed_by_me: int
    by_sla_level: dict[str, int] = Field(description="green, yellow, red: each present, 0 when none")
    by_kind: dict[str, int] = Field(description="per step kind (accept, review, decide, countersign, deliver)")
    by_item: list[ItemCount] = Field(description="per item, by its name (the inbox's item filter offers these)")
