"""Where the service reads the time. Production uses the system clock; tests install a settable one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock(Clock):
    """A clock a test moves by hand (installed through ``create_app(clock=...)``, never from outside)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at.astimezone(UTC)  # always UTC, as the system clock: SQLite keeps no offset

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
