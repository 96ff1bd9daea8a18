"""Bodies of the registry of external systems and of discovery."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from exchange.access import RETIRED_SCOPES, SCOPES
from exchange.fields import GuangxiRegion
from gov_common.http import AwareDateTime

SystemKind = Literal["city_platform", "department", "national"]


class SystemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(description="instance/level/member/system, e.g. GX/city/<credit code>/gov-portal")
    name: str = Field(min_length=1, max_length=200)
    kind: SystemKind
    region: GuangxiRegion = Field(description="GB/T 2260 region the system acts for (6 or 12 digits)")
    department: str | None = Field(default=None, description="credit code of the department it belongs to")
    client_id: str = Field(min_length=1, max_length=200, description="its OAuth client id at svc-identity")
    scopes: list[str] = Field(default_factory=list)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        retired = sorted(set(value) & set(RETIRED_SCOPES))
        if retired:
            raise ValueError(f"retired scope names {retired}: use {[RETIRED_SCOPES[r] for r in retired]}")
        unknown = sorted(set(value) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
        return sorted(set(value))


class SystemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = None
    scopes: list[str] | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else SystemCreate._scopes(value)


class SystemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    identifier: str
    name: str
    kind: str
    region: str
    department: str | None
    client_id: str
    scopes: list[str]
    active: bool
    created_at: AwareDateTime


class SystemPage(BaseModel):
    items: list[SystemRead]
    next_cursor: str | None


class DiscoveryOperation(BaseModel):
    method: str
    path: str
    summary: str | None
    scope: str
    openapi: dict[str, Any]


class Discovery(BaseModel):
    system: str
    scopes: list[str]
    operations: list[DiscoveryOperation]
