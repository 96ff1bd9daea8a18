from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class Tally(BaseModel):
    issued: int
    finished: int
    no_shows: int = Field(description="skipped at the window or called and never answered")
    no_show_rate: float | None
    average_wait_seconds: float | None = Field(description="from issue to first call")
    average_service_seconds: float | None = Field(description="from the start of service to its end")


class Figures(BaseModel):
    hall_id: uuid.UUID
    day: date
    total: Tally
    queues: dict[str, Tally]
    windows: dict[str, Tally]
    hours: dict[str, Tally] = Field(description="by the hour of issue, China time")
    waiting: int = Field(description="tickets waiting to be called (today: now; an earlier day: never called)")
    waiting_by_queue: dict[str, int] = Field(description="the waiting tickets per queue code")
    kiosk_prints: int = Field(description="documents printed at the hall's kiosks (自助打印)")
    appointments: int
    appointment_punctuality: float | None = Field(description="share of appointments checked in by their slot's start")


class HallFigures(BaseModel):
    """One hall's day in a region's list: the hall-wide figures of ``GET /v1/halls/{id}/figures`` (not its
    break-downs by queue, window and hour, which that endpoint gives for one hall)."""

    hall_id: uuid.UUID
    name: str
    region: str
    day: date
    total: Tally
    waiting: int = Field(description="tickets waiting to be called (today: now; an earlier day: never called)")
    kiosk_prints: int = Field(description="documents printed at the hall's kiosks (自助打印)")
    appointments: int
    appointment_punctuality: float | None = Field(description="share of appointments checked in by their slot's start")
