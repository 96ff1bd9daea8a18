"""Events svc-evaluation publishes on ``gov.evaluation.ratings``. Levels: 5 非常满意, 4 满意, 3 基本满意,
2 不满意, 1 非常不满意. ``due`` is a calendar date in China."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from gov_contracts.base import Event
from gov_standards.regions import REGION_CODE_PATTERN


class _RatingsEvent(Event):
    topic: ClassVar[str] = "gov.evaluation.ratings"
    publisher: ClassVar[str] = "/svc-evaluation"


class RatingSubmitted(_RatingsEvent):
    """``evaluation.rating.submitted`` (subject = rating id): a rating was given (no rater identity, no
    free text)."""

    type: ClassVar[str] = "evaluation.rating.submitted"
    subject_field: ClassVar[str] = "rating_id"

    rating_id: str
    case_id: str | None
    level: int = Field(ge=1, le=5)
    channel: Literal["web", "mobile", "hall_device", "hotline", "sms"]
    department: str
    region: str = Field(pattern=REGION_CODE_PATTERN)
    item_code: str | None
    rated_at: AwareDatetime


class RectificationOverdue(_RatingsEvent):
    """``evaluation.rectification.overdue`` (subject = rectification id): the department did not reply to a
    bad rating in time."""

    type: ClassVar[str] = "evaluation.rectification.overdue"
    subject_field: ClassVar[str] = "rectification_id"

    rectification_id: str
    rating_id: str
    department: str
    due: date
