"""Request and response shapes of cases, tasks and the trace."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None


class TaskPage(BaseModel):
    items: list[TaskRead]
    next_cursor: str | None


class CaseRead(BaseModel):
    id: uuid.UUID
    application_id: str
    tracking_number: str
    item_code: str
    item_version: int
    item_name: str
    region: str
    department: str
    department_name: str
    status: str
    step: str | None
    opened_at: datetime
    deadline: date
    clock_stopped: bool
    clock_stopped_working_days: int
    sla_level: str
    decision: str | None
    closed_at: datetime | None
    applicant: dict[str, Any] | None = Field(default=None, description="staff only")


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None


class TraceEntryRead(BaseModel):
    seq: int
    at: datetime
    action: str
    role: str | None
    department: str | None
    opinion: str | None
    state_before: str | None
    state_after: str
    details: dict[str, Any]
    actor: str | None = Field(description="who acted; hidden from applicants when a staff member acted")
    actor_kind: str
    hash: str | None = Field(description="staff only")
    prev_hash: str | None = Field(description="staff only")


class TraceRead(BaseModel):
    case_id: uuid.UUID
    entries: list[TraceEntryRead]


class VerificationRead(BaseModel):
    case_id: uuid.UUID
    valid: bool
    entries: int
    first_bad_seq: int | None
    problem: str | None
    head_hash: str
