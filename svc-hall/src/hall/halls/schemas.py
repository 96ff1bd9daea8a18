from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime

QUEUE_CODE = r"^[A-Z]$"
GROUP = r"^[a-z][a-z_]{1,31}$"


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=QUEUE_CODE, description="the letter its numbers start with (A023)")
    name: str = Field(min_length=1, max_length=100)
    department: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    category: str | None = Field(default=None, min_length=1, max_length=64)
    priority_groups: list[Annotated[str, Field(pattern=GROUP)]] = Field(
        default_factory=list, max_length=8, description="groups served before walk-ins, e.g. elderly"
    )
    no_show_minutes: int = Field(default=10, ge=1, le=240, description="a call unanswered this long expires")

    def groups(self) -> list[str]:
        return sorted(set(self.priority_groups))


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    department: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    queues: list[str] = Field(min_length=1, max_length=26, description="codes of the queues it serves")


class HallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=200)
    region: str = Field(pattern=r"^\d{6}$")
    address: str = Field(min_length=2, max_length=300)
    appointment_hall_id: uuid.UUID | None = Field(
        default=None, description="application's hall whose appointments check in here"
    )
    queues: list[QueueIn] = Field(min_length=1, max_length=26)
    windows: list[WindowIn] = Field(min_length=1, max_length=100)


class QueueRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    department: str | None
    category: str | None
    priority_groups: list[str]
    no_show_minutes: int


class WindowRead(BaseModel):
    id: uuid.UUID
    name: str
    department: str | None
    queues: list[str]
    staff: str | None = Field(description="who is signed in now")


class HallRead(BaseModel):
    id: uuid.UUID
    name: str
    region: str
    address: str
    appointment_hall_id: str | None
    queues: list[QueueRead]
    windows: list[WindowRead]


class AttendanceRead(BaseModel):
    id: uuid.UUID
    window_id: uuid.UUID
    staff: str
    signed_in_at: AwareDateTime
    signed_out_at: AwareDateTime | None
