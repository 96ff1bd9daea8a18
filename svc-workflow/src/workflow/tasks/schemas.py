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
    item_name: str
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
