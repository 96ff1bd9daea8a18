"""Where the service reads the time. Production uses the system clock; a drill or an end-to-end test may run
it ahead by a fixed offset (``WORKFLOW_CLOCK_OFFSET_SECONDS``); unit tests install a settable one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The system clock, ``offset`` ahead (zero in production: the settings refuse anything else there).
    Only the service's business time moves: tokens are still checked against the real time."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class SettableClock(Clock):
    """A clock a test moves by hand (installed through ``create_app(clock=...)``, never from outside)."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at.astimezone(UTC)  # always UTC, as the system clock: SQLite keeps no offset

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
