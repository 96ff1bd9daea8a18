"""China time: UTC+8 all year, days counted in China whatever the zone of the moment."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from gov_standards.china_time import (
    CHINA_TZ,
    at_china_time,
    china_date,
    end_of_china_day,
    now_in_china,
    start_of_china_day,
    today_in_china,
    utcnow,
)


def test_the_offset_is_eight_hours_summer_and_winter() -> None:
    for month in (1, 7):
        assert datetime(2026, month, 1, tzinfo=CHINA_TZ).utcoffset() == timedelta(hours=8)


def test_the_china_day_changes_at_16_utc() -> None:
    assert china_date(datetime(2026, 10, 22, 15, 59, 59, tzinfo=UTC)) == date(2026, 10, 22)
    assert china_date(datetime(2026, 10, 22, 16, 0, tzinfo=UTC)) == date(2026, 10, 23)
    assert china_date(datetime(2026, 10, 22, 1, 0, tzinfo=timezone(timedelta(hours=-5)))) == date(2026, 10, 22)


def test_a_naive_moment_has_no_china_day() -> None:
    with pytest.raises(ValueError):
        china_date(datetime(2026, 10, 22, 12, 0))


def test_day_bounds_in_utc() -> None:
    assert start_of_china_day(date(2026, 10, 22)) == datetime(2026, 10, 21, 16, 0, tzinfo=UTC)
    end = end_of_china_day(date(2026, 10, 22))
    assert end == datetime(2026, 10, 22, 15, 59, 59, 999999, tzinfo=UTC)
    assert china_date(end) == date(2026, 10, 22) and china_date(end + timedelta(microseconds=1)) == date(2026, 10, 23)
    assert at_china_time(date(2026, 3, 2), time(9, 30)).isoformat() == "2026-03-02T09:30:00+08:00"


def test_now_and_today_agree() -> None:
    before = utcnow()
    here = now_in_china()
    assert here.utcoffset() == timedelta(hours=8) and before.tzinfo is UTC
    assert abs((here - before).total_seconds()) < 5
    assert today_in_china() in {china_date(before), china_date(utcnow())}
