from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gov_common.http import AwareDateTime
from hotline.domain import Channel, Kind, Urgency

REGION = r"^\d{6}$"
PHONE = r"^\+?[0-9][0-9 -]{4,22}$"
DEPARTMENT = r"^[0-9A-Z]{1,64}$"


class SpotAnswer(BaseModel):
    """A consultation the operator answered during the call (from the knowledge base): the order closes."""

    model_config = ConfigDict(extra="forbid")

    answer: str = Field(min_length=1, max_length=4000)
    knowledge_entry_id: uuid.UUID | None = None


class OrderCreate(BaseModel):
    """A work order: an operator records a call (``caller_phone`` required), a citizen leaves a message on
    the portal (their account is the caller), another hotline pushes one (``external_ref``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    category: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    region: str = Field(pattern=REGION, description="GB/T 2260 code of where the matter is")
    urgency: Urgency = Urgency.NORMAL
    channel: Channel | None = Field(default=None, description="operators: phone (default), wechat, mini_program")
    title: str = Field(min_length=2, max_length=200)
    content: str = Field(min_length=2, max_length=4000)
    address: str = Field(default="", max_length=200)
    caller_phone: str | None = Field(default=None, pattern=PHONE, description="sealed at rest, shown masked")
    caller_name: str | None = Field(default=None, min_length=1, max_length=50)
    recording_ref: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    external_ref: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    emergency: str | None = Field(default=None, pattern=r"^(police|fire|medical|traffic)$")
    answered_on_the_spot: SpotAnswer | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OrderCreate:
        if self.answered_on_the_spot is not None and self.kind != Kind.CONSULTATION:
            raise ValueError("only a consultation is answered on the spot")
        if (self.urgency == Urgency.EMERGENCY) != (self.emergency is not None):
            raise ValueError("an emergency names its kind (police, fire, medical, traffic), and only an emergency")
        if self.caller_phone is not None and sum(c.isdigit() for c in self.caller_phone) < 5:
            raise ValueError("caller_phone has too few digits")
        return self


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str | None = Field(
        default=None, pattern=DEPARTMENT, description="the operator's choice over the rules (a known department)"
    )
    note: str = Field(default="", max_length=500)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str = Field(pattern=DEPARTMENT)
    reason: str = Field(min_length=1, max_length=500)


class ForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: str = Field(pattern=REGION, description="the prefecture-level city whose 12345 hotline takes it, e.g. 450200")
    note: str = Field(default="", max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1, le=10, description="working days asked for")
    reason: str = Field(min_length=1, max_length=500)


class ExtensionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field(default="", max_length=500)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(min_length=1, max_length=4000)
    knowledge_entry_id: uuid.UUID | None = None


class CallbackIn(BaseModel):
    """The caller's judgement at the callback (回访): level as 好差评 (5 非常满意 ... 1 非常不满意) and
    whether the matter is solved. Levels 1 and 2 reopen the order."""

    model_config = ConfigDict(extra="forbid")

    level: int = Field(ge=1, le=5)
    solved: bool
    comment: str = Field(default="", max_length=500)


class Step(BaseModel):
    at: str
    by: str
    action: str
    note: str = ""
    department: str | None = None


class OrderRead(BaseModel):
    id: uuid.UUID
    number: str
    channel: str
    kind: str
    category: str
    region: str
    urgency: str
    title: str
    content: str
    address: str
    caller_phone_masked: str
    caller_name_masked: str
    recording_ref: str | None
    status: str
    department: str | None
    department_name: str | None
    due: date | None
    alert: str = Field(description="none, yellow (due within a working day) or red (past due, unanswered)")
    extension_request: dict[str, object] | None
    answer: str | None
    answered_at: AwareDateTime | None
    reopen_count: int
    transfer_count: int
    outcome: str | None
    created_at: AwareDateTime
    closed_at: AwareDateTime | None
    history: list[Step]


class OrderPage(BaseModel):
    items: list[OrderRead]
    next_cursor: str | None


class CallerSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    caller_phone: str = Field(pattern=PHONE)
    limit: int = Field(default=20, ge=1, le=100)


class CallerRead(BaseModel):
    """The caller's number and name in clear, for the operator calling back (each reading is recorded)."""

    phone: str | None
    name: str | None


class CategoryRead(BaseModel):
    code: str
    name: str
    parent: str | None


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    parent: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")


class RuleIn(BaseModel):
    """Orders of ``category`` in ``region``'s subtree go to ``department`` (the longest region wins)."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    region: str = Field(pattern=REGION)
    department: str = Field(pattern=DEPARTMENT)
    department_name: str = Field(min_length=1, max_length=200)
    department_region: str = Field(pattern=REGION)


class RuleRead(BaseModel):
    category: str
    region: str
    department: str
    department_name: str
