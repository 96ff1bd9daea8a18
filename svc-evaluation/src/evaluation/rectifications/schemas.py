from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime


class ReplyCreate(BaseModel):
    """The department's answer to a bad rating: what it verified, what it changed, what it tells the rater."""

    model_config = ConfigDict(extra="forbid")

    verification: str = Field(min_length=1, max_length=2000)
    measures: str = Field(min_length=1, max_length=2000)
    reply: str = Field(min_length=1, max_length=2000)


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback: str = Field(default="", max_length=1000)


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback: str = Field(min_length=1, max_length=1000, description="why the reply does not satisfy")


class AppealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="why the rating is malicious (恶意差评)")


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["upheld", "dismissed"]
    note: str = Field(default="", max_length=2000)


class RectificationRead(BaseModel):
    id: uuid.UUID
    rating_id: uuid.UUID
    department: str
    region: str
    status: str
    due: date = Field(description="reply due by the end of this day (China), counted in working days")
    overdue: bool
    opened_at: AwareDateTime
    verification: str
    measures: str
    reply: str
    replied_at: AwareDateTime | None
    replied_on_time: bool | None
    rejections: int
    rater_feedback: str
    confirmed_at: AwareDateTime | None
    appeal_reason: str
    appeal_decision: str | None
    decision_note: str
    history: list[dict[str, Any]]


class RectificationPage(BaseModel):
    items: list[RectificationRead]
    next_cursor: str | None
