"""The working-day calendar (工作日) of the State Council's holiday notices, the same data the workflow
counts legal time limits with: holidays are days off (weekend days inside a holiday block included),
make-up workdays (调休上班) are weekend days that are worked. Years the data does not cover fall back to
Monday to Friday, so that a deadline is always computable; a new year's notice is added as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    years: frozenset[int]

    @classmethod
    def from_document(cls, document: dict[str, object]) -> WorkingCalendar:
        years = document["years"]
        assert isinstance(years, dict)
        holidays: set[date] = set()
        makeup: set[date] = set()
        for spec in years.values():
            holidays.update(date.fromisoformat(d) for d in spec["holidays"])
            makeup.update(date.fromisoformat(d) for d in spec["makeup_workdays"])
        if holidays & makeup:
            raise ValueError("a day cannot be both a holiday and a make-up workday")
        return cls(frozenset(holidays), frozenset(makeup), frozenset(int(y) for y in years))

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted, as in time limits
        that start the day after the event)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day, left = start, days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The calendar shipped with the package (``data/holidays-cn.json``, copied from the platform's data)."""
    text = resources.files("evaluation").joinpath("data/holidays-cn.json").read_text(encoding="utf-8")
    return WorkingCalendar.from_document(json.loads(text))
