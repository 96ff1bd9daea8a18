"""workflow.calendar_year.changed: only a valid year's arrangement can be built or read."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from gov_contracts.calendar import CalendarYearChanged

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_a_year_round_trips_and_gives_its_arrangement() -> None:
    event = CalendarYearChanged(
        year=2027, holidays=[date(2027, 1, 1)], makeup_workdays=[date(2027, 2, 6)], source="通知", changed_at=AT
    )
    assert event.event_subject() == "2027"
    read = CalendarYearChanged.read(event.to_data())
    assert read == event
    assert read.arrangement().holidays == frozenset({date(2027, 1, 1)})


@pytest.mark.parametrize(
    ("holidays", "makeup"),
    [
        (["2026-01-01"], []),  # another year
        ([], ["2027-01-05"]),  # a make-up working day on a Tuesday
        (["2027-02-06"], ["2027-02-06"]),  # both
    ],
)
def test_an_impossible_arrangement_is_malformed(holidays: list[str], makeup: list[str]) -> None:
    data = {
        "year": 2027,
        "holidays": holidays,
        "makeup_workdays": makeup,
        "source": "通知",
        "changed_at": AT.isoformat(),
    }
    with pytest.raises(ValidationError):
        CalendarYearChanged.read(data)


def test_a_naive_change_time_is_refused() -> None:
    with pytest.raises(ValidationError):
        CalendarYearChanged(year=2027, holidays=[], makeup_workdays=[], source="通知", changed_at=datetime(2026, 1, 1))
