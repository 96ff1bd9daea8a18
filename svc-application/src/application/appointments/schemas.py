from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from gov_common.http import AwareDateTime

CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    capacity_per_slot: int = Field(ge=1, le=100)


class HallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=200)
    region: str = Field(pattern=r"^\d{6}$")
    address: str = Field(min_length=2, max_length=300)
    periods: list[tuple[str, str]] = Field(
        min_length=1, max_length=6, description='opening periods on working days, e.g. [["09:00","12:00"]]'
    )
    slot_minutes: int = Field(ge=5, le=240)
    windows: list[WindowIn] = Field(min_length=1, max_length=100)

    @field_validator("periods")
    @classmethod
    def _periods(cls, v: list[tuple[str, str]]) -> list[tuple[str, str]]:
        import re

        for opens, closes in v:
            if not (re.match(CLOCK, opens) and re.match(CLOCK, closes)) or opens >= closes:
                raise ValueError("each period is [opens, closes] as HH:MM with opens before closes")
        return v


class WindowRead(WindowIn):
    id: uuid.UUID


class HallRead(BaseModel):
    id: uuid.UUID
    name: str
    region: str
    address: str
    periods: list[list[str]]
    slot_minutes: int
    windows: list[WindowRead]


class SlotRead(BaseModel):
    start: AwareDateTime
    capacity: int
    booked: int
    available: int


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hall_id: uuid.UUID
    slot_start: AwareDatetime
    application_id: uuid.UUID | None = None


class AppointmentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot_start: AwareDatetime


class AppointmentRead(BaseModel):
    id: uuid.UUID
    reference: str = Field(description="show it at the hall")
    hall_id: uuid.UUID
    window: str
    slot_start: AwareDateTime
    application_id: uuid.UUID | None
    status: str
    created_at: AwareDateTime
