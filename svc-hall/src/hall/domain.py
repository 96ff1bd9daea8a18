"""The hall's pure rules: ticket numbers, the calling order, the wait estimate, which ticket may do what,
and the figures. No I/O: the services load the rows and the SQL mirrors :func:`call_rank`."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum


class Status(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    EXPIRED = "expired"


class Source(StrEnum):
    APPOINTMENT = "appointment"
    DESK = "desk"
    KIOSK = "kiosk"


class Rank(IntEnum):
    """The calling order of a queue: lower is called first; within a rank, by slot then arrival."""

    APPOINTMENT_IN_SLOT = 0
    PRIORITY_GROUP = 1
    ARRIVAL = 2


# Which action a ticket in each state admits.
ACTIONS: dict[str, frozenset[Status]] = {
    "recall": frozenset({Status.CALLED}),
    "start": frozenset({Status.CALLED}),
    "skip": frozenset({Status.CALLED}),
    "finish": frozenset({Status.CALLED, Status.SERVING}),
    "transfer": frozenset({Status.WAITING, Status.CALLED, Status.SERVING}),
}
OPEN = frozenset({Status.WAITING, Status.CALLED, Status.SERVING})


def ticket_number(code: str, seq: int) -> str:
    """What the screen shows and the caller reads aloud: the queue's letter and three digits (A023);
    past 999 the digits grow (A1000), the number stays unique."""
    return f"{code}{seq:03d}"


def in_slot(slot_start: datetime | None, slot_end: datetime | None, now: datetime, early: timedelta) -> bool:
    """An appointment is served first from ``early`` before its slot until the slot ends; a late holder
    waits in arrival order like anyone else."""
    return slot_start is not None and slot_end is not None and slot_start - early <= now < slot_end


def call_rank(
    *,
    appointment: bool,
    slot_start: datetime | None,
    slot_end: datetime | None,
    priority_group: str | None,
    now: datetime,
    early: timedelta,
) -> Rank:
    """The queue's rule: appointments within their slot first, then priority groups (the elderly, people
    with disabilities...), then everyone else by arrival."""
    if appointment and in_slot(slot_start, slot_end, now, early):
        return Rank.APPOINTMENT_IN_SLOT
    if priority_group is not None:
        return Rank.PRIORITY_GROUP
    return Rank.ARRIVAL


def estimated_wait(ahead: int, open_windows: int, average_service: timedelta | None) -> timedelta:
    """Minutes to wait with ``ahead`` people before you: they share the windows serving the queue (at least
    one counted), each taking the day's average service time (five minutes before anyone was served)."""
    per_person = average_service if average_service is not None else timedelta(minutes=5)
    rounds = math.ceil(ahead / max(1, open_windows))
    return per_person * rounds


def admits(action: str, status: str) -> bool:
    return Status(status) in ACTIONS[action]


@dataclass(frozen=True)
class TicketFacts:
    """What the figures need of one ticket."""

    queue: str
    window: str | None
    source: str
    status: str
    expired_reason: str | None
    issued_at: datetime
    queued_at: datetime
    first_called_at: datetime | None
    served_at: datetime | None
    finished_at: datetime | None
    slot_start: datetime | None
    slot_end: datetime | None


@dataclass
class Tally:
    issued: int = 0
    finished: int = 0
    no_shows: int = 0
    wait_seconds: int = 0
    waited: int = 0
    service_seconds: int = 0
    served: int = 0

    def add(self, t: TicketFacts) -> None:
        self.issued += 1
        if t.status == Status.EXPIRED and t.expired_reason in ("skipped", "unanswered"):
            self.no_shows += 1
        if t.first_called_at is not None:
            self.wait_seconds += int((t.first_called_at - t.issued_at).total_seconds())
            self.waited += 1
        if t.status == Status.FINISHED and t.finished_at is not None and t.served_at is not None:
            self.finished += 1
            self.service_seconds += int((t.finished_at - t.served_at).total_seconds())
            self.served += 1

    def summary(self) -> dict[str, float | int | None]:
        return {
            "issued": self.issued,
            "finished": self.finished,
            "no_shows": self.no_shows,
            "no_show_rate": round(self.no_shows / self.issued, 4) if self.issued else None,
            "average_wait_seconds": round(self.wait_seconds / self.waited, 1) if self.waited else None,
            "average_service_seconds": round(self.service_seconds / self.served, 1) if self.served else None,
        }


def figures(tickets: Iterable[TicketFacts], *, hour_of: Callable[[datetime], int] | None = None) -> dict[str, object]:
    """Per queue, per window and per hour of issue (``hour_of``: a function giving a time's hour in China),
    the tickets waiting (per queue), and appointment punctuality: the share of appointment tickets issued
    no later than their slot's start."""
    total = Tally()
    by_queue: dict[str, Tally] = {}
    by_window: dict[str, Tally] = {}
    by_hour: dict[int, Tally] = {}
    appointments = punctual = 0
    waiting: dict[str, int] = {}
    for t in tickets:
        total.add(t)
        if t.status == Status.WAITING:
            waiting[t.queue] = waiting.get(t.queue, 0) + 1
        by_queue.setdefault(t.queue, Tally()).add(t)
        if t.window is not None:
            by_window.setdefault(t.window, Tally()).add(t)
        if hour_of is not None:
            by_hour.setdefault(hour_of(t.issued_at), Tally()).add(t)
        if t.source == Source.APPOINTMENT and t.slot_start is not None:
            appointments += 1
            punctual += t.issued_at <= t.slot_start
    return {
        "total": total.summary(),
        "queues": {k: v.summary() for k, v in sorted(by_queue.items())},
        "windows": {k: v.summary() for k, v in sorted(by_window.items())},
        "hours": {f"{k:02d}": v.summary() for k, v in sorted(by_hour.items())},
        "waiting": sum(waiting.values()),
        "waiting_by_queue": dict(sorted(waiting.items())),
        "appointments": appointments,
        "appointment_punctuality": round(punctual / appointments, 4) if appointments else None,
    }
