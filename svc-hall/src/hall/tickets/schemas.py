from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime
from hall.halls.schemas import GROUP, QUEUE_CODE

REFERENCE = r"^YY[2-9A-HJKMNP-Z]{8}$"


class TicketCreate(BaseModel):
    """A walk-in ticket (front desk or kiosk)."""

    model_config = ConfigDict(extra="forbid")
    queue: str = Field(pattern=QUEUE_CODE)
    priority_group: str | None = Field(default=None, pattern=GROUP, description="e.g. elderly, if the queue has it")


class CheckIn(BaseModel):
    """An appointment's holder arrives: its ticket goes ahead of walk-ins while within the slot."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(pattern=REFERENCE, description="the appointment reference (YY...)")
    queue: str = Field(pattern=QUEUE_CODE)


class TicketRead(BaseModel):
    id: uuid.UUID
    hall_id: uuid.UUID
    number: str
    queue: str
    day: date
    source: str
    priority_group: str | None
    appointment_id: str | None
    slot_start: AwareDateTime | None
    slot_end: AwareDateTime | None
    status: str
    issued_at: AwareDateTime
    window: str | None
    calls: int
    first_called_at: AwareDateTime | None
    called_at: AwareDateTime | None = Field(description="the last call (a recall moves it)")
    served_at: AwareDateTime | None
    finished_at: AwareDateTime | None
    expired_reason: str | None
    ahead: int | None = Field(default=None, description="tickets before it in its queue (while waiting)")
    estimated_wait_minutes: int | None = None


class QueueState(BaseModel):
    code: str
    name: str
    waiting: int
    estimated_wait_minutes: int
