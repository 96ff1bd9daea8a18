"""The slots of a hall on its working days; the calendar is the platform's one (gov_common.calendars:
workflow's years as received, over the bundled ones)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import CHINA_TZ


def _clock(value: str) -> time:
    return time.fromisoformat(value)


def slot_starts(calendar: WorkingCalendar, day: date, periods: list[list[str]], slot_minutes: int) -> list[datetime]:
    """Every slot start (China time, aware) of a hall on ``day``: none on a day off."""
    if not calendar.is_working_day(day):
        return []
    out = []
    step = timedelta(minutes=slot_minutes)
    for opens, closes in periods:
        start = datetime.combine(day, _clock(opens), CHINA_TZ)
        end = datetime.combine(day, _clock(closes), CHINA_TZ)
        while start + step <= end:
            out.append(start)
            start += step
    return out


def is_slot(calendar: WorkingCalendar, moment: datetime, periods: list[list[str]], slot_minutes: int) -> bool:
    local = moment.astimezone(CHINA_TZ)
    return local in slot_starts(calendar, local.date(), periods, slot_minutes)
