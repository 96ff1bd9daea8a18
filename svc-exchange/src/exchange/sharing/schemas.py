"""Bodies of shared datasets, sharing requests and their decisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from exchange.fields import DepartmentCode, IsoWithOffset
from gov_common.http import AwareDateTime
from gov_standards.china_time import utcnow


class DatasetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,49}$")
    name: str = Field(min_length=1, max_length=200)
    owner_department: DepartmentCode
    fields: list[str] = Field(min_length=1, max_length=100)
    key_field: str
    description: str = Field(default="", max_length=1000)


class DatasetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    owner_department: str
    fields: list[str]
    key_field: str
    description: str


class RecordsLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class SharingRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset_code: str
    purpose: str = Field(min_length=5, max_length=1000)
    fields: list[str] = Field(min_length=1)
    valid_until: IsoWithOffset = Field(description="end of the term of use (RFC 3339)")

    @field_validator("valid_until")
    @classmethod
    def _future(cls, value: datetime) -> datetime:
        if value <= utcnow():
            raise ValueError("valid_until must be in the future")
        return value


class SharingRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    dataset_code: str
    consumer_department: str
    purpose: str
    fields: list[str]
    valid_until: AwareDateTime
    status: str
    decided_at: AwareDateTime | None
    reason: str | None
    created_at: AwareDateTime


class SharingRequestPage(BaseModel):
    items: list[SharingRequestRead]
    next_cursor: str | None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "refuse"]
    reason: str | None = Field(default=None, max_length=1000)
