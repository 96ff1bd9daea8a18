"""Working-day arithmetic across the Spring Festival and make-up Saturdays/Sundays (调休)."""

from __future__ import annotations

from datetime import date

import pytest

from gov_standards.calendar import WorkingCalendar, bundled_years, parse_year

CAL = WorkingCalendar(bundled_years())


def test_spring_festival_2026_and_its_make_up_saturdays() -> None:
    # Fri 13 Feb; Sat 14 is a make-up working day; 15-23 Feb are off; Sat 28 Feb is a make-up day.
    assert CAL.is_working_day(date(2026, 2, 14)) and not CAL.is_working_day(date(2026, 2, 16))
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 2, 10), 3) == date(2026, 2, 13)
    assert CAL.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert CAL.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)
    assert CAL.add_working_days(date(2026, 2, 28), 1) == date(2026, 3, 2)


def test_spring_festival_2025_with_a_make_up_sunday() -> None:
    # Sun 26 Jan 2025 is worked; 28 Jan - 4 Feb are off; Sat 8 Feb is worked.
    assert CAL.add_working_days(date(2025, 1, 24), 1) == date(2025, 1, 26)
    assert CAL.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)
    assert CAL.add_working_days(date(2025, 2, 7), 1) == date(2025, 2, 8)
    # Sun 26, Mon 27 Jan, then Wed 5, Thu 6, Fri 7, Sat 8 Feb (Sat 25 Jan is off).
    assert CAL.working_days_between(date(2025, 1, 24), date(2025, 2, 8)) == 6


def test_between_and_add_agree() -> None:
    start = date(2026, 1, 30)
    for days in range(0, 40):
        assert CAL.working_days_between(start, CAL.add_working_days(start, days)) == days


def test_zero_days_is_the_same_day_and_negative_is_refused() -> None:
    assert CAL.add_working_days(date(2026, 2, 15), 0) == date(2026, 2, 15)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 2, 15), -1)


def test_a_year_without_arrangement_counts_monday_to_friday() -> None:
    assert CAL.add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 7)  # Fri -> Mon


def test_national_day_2026_and_its_make_up_saturday() -> None:
    assert CAL.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday worked


@pytest.mark.parametrize(
    ("holidays", "makeup", "message"),
    [
        (["2026-01-01"], [], "outside"),
        (["2027-02-06"], ["2027-02-06"], "both"),
        ([], ["2027-02-03"], "Saturdays or Sundays"),
        (["2027-13-01"], [], "month"),
    ],
)
def test_bad_arrangements_are_refused(holidays: list[str], makeup: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_year(2027, holidays, makeup)
