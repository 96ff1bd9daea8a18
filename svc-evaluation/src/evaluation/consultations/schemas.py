from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gov_common.http import AwareDateTime


class ConsultationCreate(BaseModel):
    """A question (consultation) or a complaint about an item or a department. Without ``department`` it is
    routed to the department that handles ``item_code`` in ``region``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["consultation", "complaint"]
    title: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=4000)
    region: str = Field(pattern=r"^\d{6}$")
    item_code: str | None = Field(default=None, min_length=1, max_length=64)
    department: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _about(self) -> ConsultationCreate:
        if self.item_code is None and self.department is None:
            raise ValueError("say which item or which department the question is about")
        return self


class AnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(min_length=1, max_length=4000)


class SatisfactionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: int = Field(ge=1, le=5, description="5 非常满意 ... 1 非常不满意")


class ConsultationRead(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    question: str
    item_code: str | None
    department: str
    region: str
    asked_at: AwareDateTime
    due: date = Field(description="answer due by the end of this day (China), counted in working days")
    answer: str | None
    answered_at: AwareDateTime | None
    answered_on_time: bool | None
    satisfaction: int | None
    hotline_number: str | None = Field(
        default=None, description="the 12345 work order it is handled as, once answered there (小热线融合)"
    )


class ConsultationPage(BaseModel):
    items: list[ConsultationRead]
    next_cursor: str | None
