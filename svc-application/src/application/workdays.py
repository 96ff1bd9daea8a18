"""The slots of a hall on its working days (the calendar: gov_common.workdays)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from gov_standards.calendar import default_calendar
from gov_standards.china_time import CHINA_TZ as CST


def is_working_day(day: date) -> bool:
    """Monday to Friday except public holidays, plus the make-up working days (调休上班)."""
    return default_calendar().is_working_day(day)


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
