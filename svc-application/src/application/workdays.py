"""Working days in China (public holidays and make-up working days, 调休) and the slots of a hall."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources

from application.rules import CST


@cache
def _calendar() -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
    raw = json.loads(resources.files("application").joinpath("data/holidays-cn.json").read_text("utf-8"))
    holidays: set[date] = set()
    makeup: set[date] = set()
    for year in raw["years"].values():
        holidays.update(date.fromisoformat(d) for d in year["holidays"])
        makeup.update(date.fromisoformat(d) for d in year["makeup_workdays"])
    return frozenset(holidays), frozenset(makeup), frozenset(int(y) for y in raw["years"])


def known_year(day: date) -> bool:
    return day.year in _calendar()[2]


def is_working_day(day: date) -> bool:
    """Monday to Friday except public holidays, plus the make-up working days (调休上班). A year whose
    notice is not in data/holidays-cn.json yet counts Monday to Friday (update the file each November)."""
    holidays, makeup, _ = _calendar()
    if day in makeup:
        return True
    return day.weekday() < 5 and day not in holidays


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def slot_starts(day: date, periods: list[list[str]], slot_minutes: int) -> list[datetime]:
    """Every slot start (Beijing time, aware) of a hall on ``day``: none on a day off."""
    if not is_working_day(day):
        return []
    out = []
    step = timedelta(minutes=slot_minutes)
    for opens, closes in periods:
        start = datetime.combine(day, _clock(opens), CST)
        end = datetime.combine(day, _clock(closes), CST)
        while start + step <= end:
            out.append(start)
            start += step
    return out


def is_slot(moment: datetime, periods: list[list[str]], slot_minutes: int) -> bool:
    local = moment.astimezone(CST)
    return local in slot_starts(local.date(), periods, slot_minutes)
