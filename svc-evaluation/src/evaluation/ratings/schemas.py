from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evaluation.domain import Channel
from gov_common.http import AwareDateTime


class RatingCreate(BaseModel):
    """A rating of a completed case (``case_id``), or of on-site service at a hall window (``department``,
    ``region`` and ``window``, relayed by the hall's device)."""

    model_config = ConfigDict(extra="forbid")

    case_id: str | None = Field(default=None, min_length=1, max_length=64)
    level: int = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: list[str] = Field(default_factory=list, max_length=10, description="codes from GET /v1/reasons")
    comment: str = Field(default="", max_length=500)
    channel: Channel
    rater_subject: str | None = Field(
        default=None, min_length=1, max_length=200, description="the rater, when a system relays the rating"
    )
    department: str | None = Field(default=None, min_length=1, max_length=64)
    region: str | None = Field(default=None, pattern=r"^\d{6}$", description="GB/T 2260 region code")
    item_code: str | None = Field(default=None, min_length=1, max_length=64)
    window: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _target(self) -> RatingCreate:
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("reasons must not repeat")
        on_site = (self.department, self.region, self.window)
        if self.case_id is not None and any(v is not None for v in on_site):
            raise ValueError("a case rating takes its department, region and item from the case")
        if self.case_id is None and any(v is None for v in on_site):
            raise ValueError("give case_id, or department, region and window for on-site service")
        return self


class RatingRead(BaseModel):
    id: uuid.UUID
    case_id: str | None
    level: int
    level_name: str
    bad: bool
    reasons: list[str]
    comment: str
    channel: str
    department: str
    region: str
    item_code: str | None
    window: str | None
    rated_at: AwareDateTime
    excluded: bool = Field(description="found malicious on appeal; not counted in statistics")
    rectification_id: uuid.UUID | None


class RatingPage(BaseModel):
    items: list[RatingRead]
    next_cursor: str | None


class Reason(BaseModel):
    code: str
    label: str


class ReasonList(BaseModel):
    good: list[Reason] = Field(description="for levels 3 to 5")
    bad: list[Reason] = Field(description="for levels 1 and 2 (at least one is required)")
