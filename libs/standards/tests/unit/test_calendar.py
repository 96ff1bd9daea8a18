"""The working-day calendar shipped with the platform: holidays, make-up workdays (调休) and deadlines
counted by hand."""

from __future__ import annotations

from datetime import date

import pytest

from gov_standards.calendar import bundled_source, default_calendar, parse_year

CAL = default_calendar()


def test_the_shipped_calendar_covers_2025_and_2026() -> None:
    assert {2025, 2026} <= set(CAL.years)
    assert date(2026, 10, 1) in CAL.years[2026].holidays and date(2026, 10, 10) in CAL.years[2026].makeup_workdays


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 24), True),  # Thursday
        (date(2026, 9, 25), False),  # Friday, Mid-Autumn Festival
        (date(2026, 9, 20), True),  # Sunday worked (调休)
        (date(2026, 10, 10), True),  # Saturday worked (调休)
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 10, 7), False),  # National Day holiday, a Wednesday
        (date(2027, 3, 1), True),  # a year without data: Monday to Friday
        (date(2027, 3, 6), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_fifteen_working_days_across_national_day() -> None:
    # After Thu 24 Sep 2026: 25-27 off; 28, 29, 30 Sep (3); 1-7 Oct off; 8, 9 (5); Sat 10 worked (6);
    # 12-16 (11); 19, 20, 21, 22 (15).
    assert CAL.add_working_days(date(2026, 9, 24), 15) == date(2026, 10, 22)


def test_five_working_days_across_spring_festival() -> None:
    # After Fri 13 Feb 2026: Sat 14 worked (1); 15-23 off; 24, 25, 26, 27 (5).
    assert CAL.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_counting_starts_the_day_after_and_skips_weekends() -> None:
    assert CAL.add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 11)  # Friday -> Monday
    assert CAL.working_days_between(date(2026, 9, 24), date(2026, 10, 22)) == 15
    assert CAL.working_days_between(date(2026, 10, 22), date(2026, 9, 24)) == 0
    assert CAL.add_working_days(date(2026, 1, 5), 0) == date(2026, 1, 5)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 1, 5), -1)


def test_a_day_cannot_be_both_holiday_and_workday() -> None:
    with pytest.raises(ValueError, match="both"):
        parse_year(2030, ["2030-01-05"], ["2030-01-05"])


def test_overlay_replaces_a_year_and_adds_another() -> None:
    moved = parse_year(2026, ["2026-10-12"], [])  # a made-up arrangement: only Mon 12 Oct off
    added = parse_year(2027, ["2027-01-01"], [])
    calendar = CAL.overlay([moved, added])
    assert calendar.known_years() == [2025, 2026, 2027]
    assert not calendar.is_working_day(date(2026, 10, 12)) and calendar.is_working_day(date(2026, 10, 7))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert CAL.is_working_day(date(2026, 10, 12)), "the overlay leaves the original untouched"


def test_a_year_round_trips_through_its_lists() -> None:
    year = CAL.years[2026]
    assert parse_year(2026, *year.as_lists()) == year
    assert bundled_source().startswith("State Council")
