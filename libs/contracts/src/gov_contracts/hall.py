"""Events svc-hall publishes: tickets (取号, 叫号) on ``gov.hall.tickets`` (subject = ticket id) and window
attendance (数字考勤) on ``gov.hall.windows`` (subject = window id). No personal data: a ticket names its
queue and number, never the person who holds it."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from gov_contracts.base import Event
from gov_standards.regions import REGION_CODE_PATTERN

TicketSource = Literal["appointment", "desk", "kiosk"]


class _TicketEvent(Event):
    topic: ClassVar[str] = "gov.hall.tickets"
    publisher: ClassVar[str] = "/svc-hall"
    subject_field: ClassVar[str] = "ticket_id"

    ticket_id: str
    hall_id: str
    region: str = Field(pattern=REGION_CODE_PATTERN)
    number: str = Field(description="what the screen shows, e.g. A023 (unique per queue and day)")


class TicketIssued(_TicketEvent):
    """``hall.ticket.issued``: a ticket was taken at the front desk, at a kiosk or by checking in an
    appointment (``appointment_id``: the application service's appointment)."""

    type: ClassVar[str] = "hall.ticket.issued"

    queue_code: str
    day: date = Field(description="the day in China the number belongs to")
    source: TicketSource
    appointment_id: str | None
    priority_group: str | None
    issued_at: AwareDatetime


class TicketCalled(_TicketEvent):
    """``hall.ticket.called``: a window called the ticket (``call`` above 1: a recall)."""

    type: ClassVar[str] = "hall.ticket.called"

    queue_code: str
    window_id: str
    window_name: str
    call: int = Field(ge=1)
    called_at: AwareDatetime


class TicketTransferred(_TicketEvent):
    """``hall.ticket.transferred``: the ticket waits in another queue of the same hall now."""

    type: ClassVar[str] = "hall.ticket.transferred"

    from_queue: str
    to_queue: str
    transferred_at: AwareDatetime


class TicketFinished(_TicketEvent):
    """``hall.ticket.finished``: a window served the ticket; the window's device may ask for a rating
    (evaluation's ``hall_device`` channel)."""

    type: ClassVar[str] = "hall.ticket.finished"

    queue_code: str
    window_id: str
    department: str | None
    staff: str = Field(description="the staff account signed in at the window")
    waited_seconds: int = Field(ge=0)
    served_seconds: int = Field(ge=0)
    finished_at: AwareDatetime


class TicketExpired(_TicketEvent):
    """``hall.ticket.expired``: a no-show. ``skipped``: the window gave up on it after calling;
    ``unanswered``: called and never served in time; ``closed``: still waiting when the day ended."""

    type: ClassVar[str] = "hall.ticket.expired"

    queue_code: str
    reason: Literal["skipped", "unanswered", "closed"]
    expired_at: AwareDatetime


class _WindowEvent(Event):
    topic: ClassVar[str] = "gov.hall.windows"
    publisher: ClassVar[str] = "/svc-hall"
    subject_field: ClassVar[str] = "window_id"

    window_id: str
    hall_id: str
    staff: str = Field(description="the staff account")


class WindowSignedIn(_WindowEvent):
    """``hall.window.signed_in``: a staff member took the window (the attendance record's start)."""

    type: ClassVar[str] = "hall.window.signed_in"

    signed_in_at: AwareDatetime


class WindowSignedOut(_WindowEvent):
    """``hall.window.signed_out``: the staff member left the window."""

    type: ClassVar[str] = "hall.window.signed_out"

    signed_in_at: AwareDatetime
    signed_out_at: AwareDatetime
