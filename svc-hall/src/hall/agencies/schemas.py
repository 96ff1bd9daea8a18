from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime


class AgencyCreate(BaseModel):
    """全程代办: the hall agent (the caller) carries the person's case; the person's consent is recorded."""

    model_config = ConfigDict(extra="forbid")
    tracking_number: str = Field(min_length=6, max_length=64, pattern=r"^[0-9A-Za-z-]+$")
    person: str = Field(min_length=1, max_length=200, description="the person's account id")
    consent_method: Literal["signature", "id_card", "face"] = Field(description="how the person consented")
    consent_at: AwareDateTime
    note: str = Field(default="", max_length=500)


class AgencyRead(BaseModel):
    id: uuid.UUID
    hall_id: uuid.UUID
    tracking_number: str
    person: str
    agent: str
    consent_method: str
    consent_at: AwareDateTime
    note: str
    status: str
    created_at: AwareDateTime
    ended_at: AwareDateTime | None
