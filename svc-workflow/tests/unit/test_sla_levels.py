"""Warning levels of a case as time passes, with and without a stopped clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gov_standards.calendar import WorkingCalendar, bundled_years
from workflow.models import Case
from workflow.supervision.service import level_of

CAL = WorkingCalendar(bundled_years())


def case(**over: object) -> Case:
    values: dict[str, object] = {
        "opened_at": datetime(2026, 2, 2, 2, tzinfo=UTC),  # Mon 2 Feb 2026, 10:00 in China
        "deadline": date(2026, 2, 12),  # 8 working days
        "promised_days": 8,
        "paused_since": None,
        "paused_days": 0,
        **over,
    }
    return Case(**values)


def test_green_yellow_red() -> None:
    assert level_of(case(), CAL, date(2026, 2, 9), 0.8) == "green"  # 5 of 8
    assert level_of(case(), CAL, date(2026, 2, 11), 0.8) == "yellow"  # 7 of 8
    assert level_of(case(), CAL, date(2026, 2, 12), 0.8) == "yellow"  # the last day is still in time
    assert level_of(case(), CAL, date(2026, 2, 13), 0.8) == "red"


def test_a_stopped_clock_does_not_run_out() -> None:
    stopped = case(paused_since=date(2026, 2, 4))
    assert level_of(stopped, CAL, date(2026, 3, 31), 0.8) == "green"


def test_time_spent_waiting_is_not_counted() -> None:
    # Waited 3 working days; the deadline moved from Thu 12 to Tue 24 Feb (Fri 13, Sat 14 worked; 15-23 off).
    waited = case(paused_days=3, deadline=CAL.add_working_days(date(2026, 2, 12), 3))
    assert waited.deadline == date(2026, 2, 24)
    assert level_of(waited, CAL, date(2026, 2, 11), 0.8) == "green"  # 7 - 3 = 4 of 8
