from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="the registered name, as in the legal-person base")
    credit_code: str = Field(min_length=1, max_length=32, description="GB 32100 unified social credit code")


class EnterpriseRead(BaseModel):
    id: uuid.UUID
    name: str
    credit_code: str
    representative_id: uuid.UUID
    created_at: AwareDateTime


class RegistrationRead(BaseModel):
    """A claim to represent an enterprise: ``verified`` (the legal-person base or staff confirmed it; the
    enterprise is registered), ``pending`` (staff must verify it; it gives nothing meanwhile) or ``rejected``."""

    id: uuid.UUID
    credit_code: str
    name: str
    status: Literal["verified", "pending", "rejected"]
    applicant_id: uuid.UUID
    enterprise_id: uuid.UUID | None = None
    created_at: AwareDateTime
    decided_at: AwareDateTime | None = None


class RegistrationPage(BaseModel):
    items: list[RegistrationRead]
    next_cursor: str | None


class RegistrationDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verified: bool = Field(description="true: the applicant represents the enterprise (checked in person)")


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000, description="why you, not the recorded person, represent it")


class DisputeRead(BaseModel):
    id: uuid.UUID
    credit_code: str
    claimant_id: uuid.UUID
    representative_id: uuid.UUID
    reason: str
    base_check: Literal["match", "mismatch", "unknown"] = Field(
        description="what the legal-person base says of the claimant as representative"
    )
    status: Literal["open", "upheld", "dismissed"]
    created_at: AwareDateTime
    decided_at: AwareDateTime | None = None


class DisputePage(BaseModel):
    items: list[DisputeRead]
    next_cursor: str | None


class DisputeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upheld: bool = Field(description="true: the claimant becomes the representative; the former one's grants end")


class AgentGrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_username: str = Field(min_length=1, max_length=64)
    scopes: list[str] = Field(min_length=1, max_length=20)
    expires_at: datetime


class AgentGrantRead(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    scopes: list[str]
    expires_at: AwareDateTime
    revoked_at: AwareDateTime | None
    created_at: AwareDateTime
