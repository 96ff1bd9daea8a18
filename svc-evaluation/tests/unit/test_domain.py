"""Pure rules: levels, reasons, the rectification graph, region scope, China days and rates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from evaluation.domain import (
    LEVEL_NAMES,
    RectificationStatus,
    can_transition,
    invalid_reasons,
    is_bad,
    is_overdue,
    rate,
)
from gov_standards.china_time import china_date

R = RectificationStatus


def test_five_national_levels_and_which_are_bad() -> None:
    assert [LEVEL_NAMES[i] for i in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [is_bad(i) for i in (5, 4, 3, 2, 1)] == [False, False, False, True, True]


def test_reasons_come_from_the_list_of_the_level() -> None:
    assert invalid_reasons(1, ["slow", "attitude"]) == []
    assert invalid_reasons(5, ["fast"]) == []
    assert invalid_reasons(5, ["slow"]) == ["slow"]  # a bad reason on a good rating
    assert invalid_reasons(2, ["fast", "nonsense"]) == ["fast", "nonsense"]


def test_rectification_graph() -> None:
    assert can_transition(R.OPEN, R.REPLIED) and can_transition(R.OPEN, R.APPEALED)
    assert can_transition(R.REPLIED, R.CONFIRMED) and can_transition(R.REPLIED, R.OPEN)
    assert can_transition(R.APPEALED, R.VOIDED) and can_transition(R.APPEALED, R.OPEN)
    assert not can_transition(R.OPEN, R.CONFIRMED)
    assert not can_transition(R.CONFIRMED, R.OPEN) and not can_transition(R.VOIDED, R.OPEN)


def test_overdue_is_decided_on_the_china_calendar_day() -> None:
    due = date(2026, 10, 22)
    assert china_date(datetime(2026, 10, 22, 15, 59, tzinfo=UTC)) == due  # 23:59 in China
    assert not is_overdue(due=due, now=datetime(2026, 10, 22, 15, 59, tzinfo=UTC))
    assert is_overdue(due=due, now=datetime(2026, 10, 22, 16, 0, tzinfo=UTC))  # 00:00 on the 23rd


def test_rate() -> None:
    assert rate(2, 3) == 0.6667 and rate(0, 4) == 0.0 and rate(1, 0) is None


def test_default_rectification_time_limit_is_fifteen_working_days() -> None:
    from evaluation.settings import Settings

    assert Settings().rectification_working_days == 15
