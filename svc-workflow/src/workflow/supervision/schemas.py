"""Bodies of supervision orders (督办) and of the cases city platforms push, as supervision shows them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gov_common.http import AwareDateTime

DEPARTMENT_CODE = r"^[0-9A-HJ-NP-RTUW-Y]{18}$"  # a unified social credit code (GB 32100-2015)
MAX_WORKING_DAYS = 60


class OrderCreate(BaseModel):
    """An order on a case of ours (``target=case``, ``case_id``), on a case a city platform pushed
    (``target=external_case``, ``case_id`` is its id in ``GET /v1/supervision/external-cases``) or on a
    department's work (``target=department``, ``department`` and its ``region``)."""

    model_config = ConfigDict(extra="forbid")
    target: Literal["case", "external_case", "department"]
    case_id: uuid.UUID | None = None
    department: str | None = Field(default=None, pattern=DEPARTMENT_CODE, description="credit code")
    region: str | None = Field(default=None, pattern=r"^\d{6}$", description="the department's region")
    reason: str = Field(min_length=1, max_length=2000)
    working_days: int = Field(ge=1, le=MAX_WORKING_DAYS, description="reply within this many working days")

    @model_validator(mode="after")
    def _one_target(self) -> OrderCreate:
        if self.target == "department":
            if self.department is None or self.region is None or self.case_id is not None:
                raise ValueError("an order on a department names department and region, and no case_id")
        elif self.case_id is None or self.department is not None or self.region is not None:
            raise ValueError("an order on a case names case_id only (the case says its department and region)")
        return self


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply: str = Field(min_length=1, max_length=2000)


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    target: str
    case_id: uuid.UUID | None
    external_case_id: uuid.UUID | None
    tracking_number: str | None = Field(description="the case's tracking number (ours or the city platform's)")
    item_name: str | None = Field(description="the case's item; both None for an order on a department")
    department: str
    region: str
    reason: str
    working_days: int
    issued_by: str
    issuer_region: str
    issued_at: AwareDateTime
    first_deadline: date
    deadline: date = Field(description="the current deadline (an escalation sets a new one)")
    holder_region: str = Field(description="whose supervisors hold the order now (escalations move it up)")
    escalations: int
    status: Literal["open", "replied"]
    overdue: bool = Field(description="open and past its deadline")
    reply: str | None
    replied_by: str | None
    replied_at: AwareDateTime | None
    late: bool | None = Field(description="replied after the first deadline")
    history: list[dict[str, Any]] = Field(description="issued, escalated and replied, oldest first")


class OrderPage(BaseModel):
    items: list[OrderRead]
    next_cursor: str | None


class ExternalCaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    origin: str
    source: str
    external_id: str
    tracking_number: str | None
    item_code: str
    item_name: str | None
    region: str
    department: str | None
    status: str
    status_at: AwareDateTime
    received_at: AwareDateTime
    accepted_at: AwareDateTime | None
    deadline: date | None
    sla_level: str
    paused_since: date | None
    paused_days: int
    closed_at: AwareDateTime | None
    handling_days: int | None
    on_time: bool | None
    history: list[dict[str, Any]] = Field(description="the state changes reported, oldest first")


class ExternalCasePage(BaseModel):
    items: list[ExternalCaseRead]
    next_cursor: str | None
