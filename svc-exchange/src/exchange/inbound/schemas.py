"""Bodies of the inbound sync: catalog changes pulled and cases pushed by city platforms, case statistics."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from exchange.fields import DepartmentCode, GuangxiRegion, WithOffset
from gov_common.http import AwareDateTime
from gov_common.pagination import IsoDate
from gov_contracts.exchange import CaseStatus

MAX_PUSH = 500
MAX_CHANGES = 50


class StatusChangeIn(BaseModel):
    """One state change of the case in the city platform, e.g. its acceptance or a supplement request."""

    model_config = ConfigDict(extra="forbid")
    status: CaseStatus
    status_at: WithOffset


class CatalogChangeRead(BaseModel):
    seq: int = Field(description="the catalog version after this change; pass the last one as `since`")
    implementation_code: str
    operation: Literal["published", "withdrawn"]
    version: int
    region: str
    changed_at: AwareDateTime
    item: dict[str, Any] | None = Field(description="the published definition; null when withdrawn")


class CatalogChanges(BaseModel):
    items: list[CatalogChangeRead]
    next_since: int = Field(description="pass as `since` next time")
    has_more: bool
    next_cursor: str | None = Field(description="the same place as `cursor` (null when has_more is false)")


class CasePush(BaseModel):
    """One case as a city platform reports it."""

    model_config = ConfigDict(extra="forbid")
    case_id: str = Field(min_length=1, max_length=100, description="the case id in the city platform")
    tracking_number: str | None = Field(default=None, max_length=100)
    item_code: str = Field(min_length=1, max_length=200, description="implementation code of the item")
    item_name: str | None = Field(default=None, max_length=300)
    region: GuangxiRegion
    department: DepartmentCode = Field(description="credit code of the handling department")
    status: CaseStatus
    status_at: WithOffset
    received_at: WithOffset
    accepted_at: WithOffset | None = Field(default=None, description="when the case was accepted (受理)")
    deadline: IsoDate | None = Field(
        default=None, description="the promised deadline (China date); supervision warns and counts by it"
    )
    changes: list[StatusChangeIn] = Field(
        default_factory=list,
        max_length=MAX_CHANGES,
        description="state changes before `status` not pushed yet (e.g. accepted, supplement_requested), any order",
    )

    @model_validator(mode="after")
    def _changes_before_status(self) -> CasePush:
        if any(change.status_at > self.status_at for change in self.changes):
            raise ValueError("a change cannot be later than the case's status_at")
        if self.accepted_at is not None and self.accepted_at < self.received_at:
            raise ValueError("accepted_at cannot be before received_at")
        return self


class CasesPush(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_PUSH)


class RecordError(BaseModel):
    index: int
    case_id: str | None
    errors: list[dict[str, str]]


class PushResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RecordError]


class CaseStatistics(BaseModel):
    region: str
    total: int
    by_origin: dict[str, int]
    by_status: dict[str, int]
