"""The events svc-evaluation consumes and publishes: the schemas other services code against.

Consumed: ``workflow.case.completed`` on ``gov.workflow.cases`` (:class:`CaseCompleted`, shape agreed in
docs/events.md; other case events on that topic are ignored), and ``catalog.item.published`` /
``catalog.item.withdrawn`` on ``gov.catalog.items`` (the slice we keep: :class:`ItemPublished`,
:class:`ItemWithdrawn`; the authoritative schema is ``catalog/events.py``) to route consultations.
Published on ``gov.evaluation.ratings``: ``evaluation.rating.submitted`` (:class:`RatingSubmitted`,
subject = rating id) and ``evaluation.rectification.overdue`` (:class:`RectificationOverdue`, subject =
rectification id). Levels: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意. Times RFC 3339 with
offset; ``due`` is a calendar date in China.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

CASES_TOPIC = "gov.workflow.cases"
CASE_COMPLETED = "workflow.case.completed"
ITEMS_TOPIC = "gov.catalog.items"
ITEM_PUBLISHED = "catalog.item.published"
ITEM_WITHDRAWN = "catalog.item.withdrawn"
RATINGS_TOPIC = "gov.evaluation.ratings"
RATING_SUBMITTED = "evaluation.rating.submitted"
RECTIFICATION_OVERDUE = "evaluation.rectification.overdue"
SOURCE = "/svc-evaluation"

RegionCode = Field(pattern=r"^\d{6}(\d{6})?$")


class CaseApplicant(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = Field(default=None, max_length=64)


class CaseCompleted(BaseModel):
    """``workflow.case.completed`` (consumed): the case is finished; its applicant may now rate it."""

    case_id: str = Field(min_length=1, max_length=64)
    application_id: str = Field(default="", max_length=64)
    tracking_number: str = Field(default="", max_length=64)
    item_code: str = Field(min_length=1, max_length=64)
    item_name: str = Field(default="", max_length=200)
    region: str = RegionCode
    department: str = Field(min_length=1, max_length=64)
    applicant: CaseApplicant
    completed_at: AwareDatetime
    result: Literal["approved", "rejected"]
    handled_by: list[str] = Field(default_factory=list, max_length=100)
    occurred_at: AwareDatetime | None = None

    @field_validator("department", mode="before")
    @classmethod
    def _department_code(cls, value: Any) -> Any:
        # The agreed shape says "department"; accept {code, name} as application.submitted carries it.
        return value.get("code") if isinstance(value, dict) else value


class ItemDepartment(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)


class ItemDefinitionSlice(BaseModel):
    """What we keep of a published item definition (the rest is ignored)."""

    basic_code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    region: str = RegionCode
    department: ItemDepartment


class ItemPublished(BaseModel):
    """``catalog.item.published`` (consumed, our slice): which department implements an item in a region."""

    implementation_code: str = Field(min_length=1, max_length=128)
    version: int = Field(ge=1)
    definition: ItemDefinitionSlice


class ItemWithdrawn(BaseModel):
    """``catalog.item.withdrawn`` (consumed, our slice): the item is no longer offered."""

    implementation_code: str = Field(min_length=1, max_length=128)
    version: int = Field(ge=1)


class RatingSubmitted(BaseModel):
    """``evaluation.rating.submitted``: a rating was given (no rater identity, no free text)."""

    rating_id: str
    case_id: str | None
    level: int = Field(ge=1, le=5)
    channel: Literal["web", "mobile", "hall_device", "hotline", "sms"]
    department: str
    region: str = RegionCode
    item_code: str | None
    rated_at: AwareDatetime


class RectificationOverdue(BaseModel):
    """``evaluation.rectification.overdue``: the department did not reply to a bad rating in time."""

    rectification_id: str
    rating_id: str
    department: str
    due: date


PUBLISHED: dict[str, type[BaseModel]] = {
    RATING_SUBMITTED: RatingSubmitted,
    RECTIFICATION_OVERDUE: RectificationOverdue,
}
CONSUMED: dict[str, type[BaseModel]] = {
    CASE_COMPLETED: CaseCompleted,
    ITEM_PUBLISHED: ItemPublished,
    ITEM_WITHDRAWN: ItemWithdrawn,
}


def as_data(model: BaseModel) -> dict[str, object]:
    """An event's ``data``: JSON-ready, times as RFC 3339 strings."""
    return model.model_dump(mode="json")
