"""Working days in China: arithmetic over the State Council's holiday arrangements held as data per year
(public holidays, and make-up working days 调休 that are worked weekend days). Legal time limits (workflow),
rectification deadlines (evaluation) and hall opening days (application) all count with it. The bundled
years (data/holidays-cn.json, 2025 and 2026) serve as the default; svc-workflow also keeps years in its
database with an admin API. A year without an arrangement counts Monday to Friday: add each November's
notice to the data file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from importlib import resources
from typing import Any

# China has one time zone and no daylight saving time: working days are counted in UTC+8.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_date(moment: datetime) -> date:
    """The calendar date in China of an aware moment."""
    return moment.astimezone(CHINA).date()


def end_of_china_day(day: date) -> datetime:
    """The last instant of ``day`` in China, as an aware UTC datetime (a deadline day ends then)."""
    return (
        datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA) - timedelta(microseconds=1)
    ).astimezone(UTC)


@dataclass(frozen=True)
class YearCalendar:
    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]


def parse_year(year: int, holidays: Iterable[str], makeup_workdays: Iterable[str]) -> YearCalendar:
    """A year's arrangement; raises ``ValueError`` when a date is malformed, outside the year, in both
    lists, or a make-up working day is not a weekend day (weekend days inside a holiday block are fine)."""
    off = frozenset(date.fromisoformat(d) for d in holidays)
    on = frozenset(date.fromisoformat(d) for d in makeup_workdays)
    outside = sorted(d.isoformat() for d in off | on if d.year != year)
    if outside:
        raise ValueError(f"dates outside {year}: {', '.join(outside)}")
    both = sorted(d.isoformat() for d in off & on)
    if both:
        raise ValueError(f"dates both holiday and make-up working day: {', '.join(both)}")
    weekdays = sorted(d.isoformat() for d in on if d.weekday() < 5)
    if weekdays:
        raise ValueError(f"make-up working days must be Saturdays or Sundays: {', '.join(weekdays)}")
    return YearCalendar(year=year, holidays=off, makeup_workdays=on)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days. A year without an arrangement counts Monday to Friday."""

    years: Mapping[int, YearCalendar] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        arrangement = self.years.get(day.year)
        if arrangement is not None:
            if day in arrangement.makeup_workdays:
                return True
            if day in arrangement.holidays:
                return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted); ``start`` for 0."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the interval (``start``, ``end``]; 0 when ``end`` is not after ``start``."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def bundled_years() -> dict[int, YearCalendar]:
    """The arrangements shipped with the platform (2025 and 2026, from the State Council notices)."""
    raw: dict[str, Any] = json.loads(resources.files("gov_common").joinpath("data/holidays-cn.json").read_text("utf-8"))
    return {int(y): parse_year(int(y), v["holidays"], v["makeup_workdays"]) for y, v in raw["years"].items()}


@cache
def default_calendar() -> WorkingCalendar:
    """The calendar of the bundled years."""
    return WorkingCalendar(bundled_years())
