"""Supervision's pure rules (no I/O): warning levels, supervision orders' deadlines and escalation up the
region tree, and what a city platform's reported state changes mean for its case's clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date
from gov_standards.regions import parent_of

LEVELS = {"green": 0, "yellow": 1, "red": 2}


def sla_level(
    *,
    started: date,
    deadline: date,
    promised_days: int,
    paused_since: date | None,
    paused_days: int,
    today: date,
    calendar: WorkingCalendar,
    warn_share: float,
) -> str:
    """green, yellow (``warn_share`` of the time limit used) or red (past the deadline); a stopped clock
    counts up to the day it stopped."""
    as_of = paused_since or today
    if as_of > deadline:
        return "red"
    if promised_days <= 0:
        return "green"
    used = calendar.working_days_between(started, as_of) - paused_days
    return "yellow" if used >= warn_share * promised_days else "green"


# --- supervision orders (督办) ---------------------------------------------------------------------------

ORDER_OPEN, ORDER_REPLIED = "open", "replied"


def order_deadline(calendar: WorkingCalendar, issued_on: date, working_days: int) -> date:
    """The reply is due by the end of the ``working_days``-th working day after ``issued_on``."""
    return calendar.add_working_days(issued_on, working_days)


def is_overdue(status: str, deadline: date, today: date) -> bool:
    return status == ORDER_OPEN and today > deadline


def escalation_target(holder_region: str) -> str | None:
    """The region one level above the supervisors holding an order; None when the province holds it (no
    higher level on the platform: the order stays overdue with it)."""
    return parent_of(holder_region[:6])


def reply_is_late(first_deadline: date, replied_on: date) -> bool:
    """A reply after the first deadline is late, escalated or not."""
    return replied_on > first_deadline


# --- cases pushed by city platforms ------------------------------------------------------------------------

# Statuses after which a pushed case is over; decided ones count for the on-time rate.
EXTERNAL_CLOSED = frozenset({"refused", "rejected", "completed", "withdrawn"})
EXTERNAL_DECIDED = frozenset({"rejected", "completed"})
EXTERNAL_PAUSED = frozenset({"supplement_requested"})


@dataclass(frozen=True)
class ExternalClock:
    """What a pushed case's state changes say: where it stands, its clock stops and, once decided, its
    handling time in working days (clock stops excluded) and whether it met its deadline."""

    status: str
    status_at: datetime
    paused_since: date | None
    paused_days: int
    closed_at: datetime | None
    handling_days: int | None
    on_time: bool | None


def merge_history(
    history: Iterable[tuple[str, datetime]], reported: Iterable[tuple[str, datetime]]
) -> list[tuple[str, datetime]]:
    """Known and newly reported changes, each once, in time order (pushes may repeat or come out of order);
    changes at the same moment keep the order they were reported in."""
    unique = list(dict.fromkeys([*history, *reported]))
    return sorted(unique, key=lambda change: change[1])


def external_clock(
    history: list[tuple[str, datetime]], *, started: date, deadline: date | None, calendar: WorkingCalendar
) -> ExternalClock:
    """Replay ``history`` (time order, not empty): a supplement request (补正) stops the clock until the next
    change; the last change is where the case stands. ``started``: the acceptance (or receipt) date."""
    paused_since: date | None = None
    paused_days = 0
    for status, at in history:
        day = china_date(at)
        if status in EXTERNAL_PAUSED:
            paused_since = paused_since or day
        elif paused_since is not None:
            paused_days += calendar.working_days_between(paused_since, day)
            paused_since = None
    status, status_at = history[-1]
    closed_at = status_at if status in EXTERNAL_CLOSED else None
    handling_days = on_time = None
    if status in EXTERNAL_DECIDED:
        closed_on = china_date(status_at)
        handling_days = max(0, calendar.working_days_between(started, closed_on) - paused_days)
        on_time = None if deadline is None else closed_on <= deadline
    return ExternalClock(
        status=status,
        status_at=status_at,
        paused_since=paused_since,
        paused_days=paused_days,
        closed_at=closed_at,
        handling_days=handling_days,
        on_time=on_time,
    )
