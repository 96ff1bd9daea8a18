"""China time: the one time zone (UTC+8, no daylight saving time) in which days are counted: deadlines,
tracking-number days, settlement days, validity dates. Moments are stored in UTC; a day is a China day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

# A fixed offset, not zoneinfo: China has kept UTC+8 without daylight saving since 1991, and the tz database
# is not installed on every image.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    """The current moment, aware, in UTC (what every database stores)."""
    return datetime.now(UTC)


def now_in_china() -> datetime:
    """The current moment, aware, in China time."""
    return datetime.now(CHINA_TZ)


def china_date(moment: datetime) -> date:
    """The calendar day in China of an aware moment (a naive one is refused: its zone is unknown)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no day in China")
    return moment.astimezone(CHINA_TZ).date()


def today_in_china() -> date:
    """Today's date in China."""
    return now_in_china().date()


def at_china_time(day: date, clock: time = time.min) -> datetime:
    """``day`` at ``clock`` in China, aware (``CHINA_TZ``); midnight by default."""
    return datetime.combine(day, clock.replace(tzinfo=None), CHINA_TZ)


def start_of_china_day(day: date) -> datetime:
    """The first instant of ``day`` in China, aware in UTC."""
    return at_china_time(day).astimezone(UTC)


def end_of_china_day(day: date) -> datetime:
    """The last instant of ``day`` in China, aware in UTC (a deadline day ends then)."""
    return (at_china_time(day + timedelta(days=1)) - timedelta(microseconds=1)).astimezone(UTC)
