"""The working-day calendar of China: the State Council's holiday arrangements held as data per year (days
off, and make-up working days 调休 that are worked weekend days). Legal time limits, rectification
deadlines and hall opening days all count with it. Built from data passed in; the arrangements shipped with
the platform (data/holidays-cn.json) are :func:`bundled_years`. A year without an arrangement counts Monday
to Friday: each November's notice is added as data."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class YearCalendar:
    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    def as_lists(self) -> tuple[list[str], list[str]]:
        """The holidays and make-up working days as sorted ISO dates (how they are stored and sent)."""
        return sorted(d.isoformat() for d in self.holidays), sorted(d.isoformat() for d in self.makeup_workdays)


def parse_year(year: int, holidays: Iterable[str | date], makeup_workdays: Iterable[str | date]) -> YearCalendar:
    """A year's arrangement; ``ValueError`` when a date is malformed, outside the year, in both lists, or a
    make-up working day is not a weekend day (weekend days inside a holiday block are fine)."""

    def read(values: Iterable[str | date]) -> frozenset[date]:
        return frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in values)

    off, on = read(holidays), read(makeup_workdays)
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

    def known_years(self) -> list[int]:
        """The years with an arrangement, ascending."""
        return sorted(self.years)

    def overlay(self, years: Iterable[YearCalendar]) -> WorkingCalendar:
        """This calendar with ``years`` added, each replacing the year of the same number."""
        merged = dict(self.years)
        merged.update({y.year: y for y in years})
        return WorkingCalendar(merged)

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


@cache
def bundled_source() -> str:
    """Where the shipped arrangements come from (the notices), as the data file states it."""
    return str(_bundled_raw()["source"])


@cache
def _bundled_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        resources.files("gov_standards").joinpath("data/holidays-cn.json").read_text("utf-8")
    )
    return raw


def bundled_years() -> dict[int, YearCalendar]:
    """The arrangements shipped with the platform (2025 and 2026, from the State Council notices)."""
    years: dict[str, Any] = _bundled_raw()["years"]
    return {int(y): parse_year(int(y), v["holidays"], v["makeup_workdays"]) for y, v in years.items()}


@cache
def default_calendar() -> WorkingCalendar:
    """The calendar of the bundled years alone (a service that receives no calendar events counts with it)."""
    return WorkingCalendar(bundled_years())
