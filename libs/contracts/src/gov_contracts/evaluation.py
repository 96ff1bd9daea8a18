"""Events svc-evaluation publishes on ``gov.evaluation.ratings`` (and its consultations on
``gov.evaluation.consultations``). Levels: 5 非常满意, 4 满意, 3 基本满意,
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


class ConsultationSubmitted(Event):
    """``evaluation.consultation.submitted`` on ``gov.evaluation.consultations`` (subject = consultation id):
    a citizen or an enterprise's agent asked a question or filed a complaint (咨询投诉) on the platform;
    svc-hotline makes it a work order of the same kind for ``department`` (小热线融合: one flow), whose
    answer comes back as ``hotline.consultation.answered``. It carries what that department needs to
    answer: the title and the question, and the asker's platform account (so that they read the order
    too); never a name, a phone or an ID number."""

    topic: ClassVar[str] = "gov.evaluation.consultations"
    publisher: ClassVar[str] = "/svc-evaluation"
    type: ClassVar[str] = "evaluation.consultation.submitted"
    subject_field: ClassVar[str] = "consultation_id"

    consultation_id: str
    kind: Literal["consultation", "complaint"]
    title: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=4000)
    region: str = Field(pattern=REGION_CODE_PATTERN)
    department: str = Field(min_length=1, max_length=64)
    item_code: str | None = None
    asker_subject: str
    asker_kind: Literal["citizen", "enterprise"]
    asked_at: AwareDatetime


class ConsultationRated(Event):
    """``evaluation.consultation.rated`` on ``gov.evaluation.consultations`` (subject = consultation id): the
    asker rated the answer of a consultation or complaint the hotline handled as work order ``order_id``
    (小热线融合); svc-hotline records it as that order's callback (回访), as an operator's callback would be
    (a bad rating, 1 or 2, reopens the order). Levels as 好差评: 5 非常满意 ... 1 非常不满意."""

    topic: ClassVar[str] = "gov.evaluation.consultations"
    publisher: ClassVar[str] = "/svc-evaluation"
    type: ClassVar[str] = "evaluation.consultation.rated"
    subject_field: ClassVar[str] = "consultation_id"

    consultation_id: str
    order_id: str = Field(description="the hotline work order the consultation became")
    level: int = Field(ge=1, le=5)
    asker_subject: str
    rated_at: AwareDatetime
