from __future__ import annotations

import itertools
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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


HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
Period = tuple[Annotated[str, Field(pattern=HHMM)], Annotated[str, Field(pattern=HHMM)]]


def checked_hours(periods: list[Period]) -> list[Period]:
    """Each period starts before it ends and after the one before it ends (zero-padded HH:MM sort as text)."""
    for start, end in periods:
        if start >= end:
            raise ValueError(f"a period ends after it starts: {start}-{end}")
    for (_, end), (start, _) in itertools.pairwise(periods):
        if start < end:
            raise ValueError("periods are in order and do not overlap")
    return periods


OpeningHours = Annotated[
    list[Period],
    Field(max_length=6, description='periods on working days, China time: [["09:00", "12:00"], ...]'),
    AfterValidator(checked_hours),
]


class HallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=200)
    region: str = Field(pattern=r"^\d{6}$")
    address: str = Field(min_length=2, max_length=300)
    opening_hours: OpeningHours = Field(default_factory=list)
    appointment_hall_id: uuid.UUID | None = Field(
        default=None, description="application's hall whose appointments check in here"
    )
    queues: list[QueueIn] = Field(min_length=1, max_length=26)
    windows: list[WindowIn] = Field(min_length=1, max_length=100)


class HallUpdate(BaseModel):
    """What an admin changes of a hall; what is left out stays (region and the appointment link do not change)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=2, max_length=200)
    address: str | None = Field(default=None, min_length=2, max_length=300)
    opening_hours: OpeningHours | None = None


class QueueUpdate(BaseModel):
    """A queue's letter never changes (its tickets are numbered by it); the rest may."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    department: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    category: str | None = Field(default=None, min_length=1, max_length=64)
    priority_groups: list[Annotated[str, Field(pattern=GROUP)]] | None = Field(default=None, max_length=8)
    no_show_minutes: int | None = Field(default=None, ge=1, le=240)


class WindowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    department: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    queues: list[str] | None = Field(default=None, min_length=1, max_length=26, description="replaces the set")


class QueueRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    department: str | None
    category: str | None
    priority_groups: list[str]
    no_show_minutes: int
    retired_at: AwareDateTime | None = None


class WindowRead(BaseModel):
    id: uuid.UUID
    name: str
    department: str | None
    queues: list[str]
    staff: str | None = Field(description="who is signed in now")
    retired_at: AwareDateTime | None = None


class HallRead(BaseModel):
    id: uuid.UUID
    name: str
    region: str
    address: str
    opening_hours: list[list[str]]
    appointment_hall_id: str | None
    queues: list[QueueRead]
    windows: list[WindowRead]


class AttendanceRead(BaseModel):
    id: uuid.UUID
    window_id: uuid.UUID
    staff: str
    signed_in_at: AwareDateTime
    signed_out_at: AwareDateTime | None
