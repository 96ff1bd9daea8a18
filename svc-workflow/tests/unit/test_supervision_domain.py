"""Supervision's pure rules: order deadlines on the working-day calendar, escalation up the region tree,
and a pushed case's clock from its reported state changes."""

from __future__ import annotations

from datetime import date, datetime

from gov_standards.calendar import default_calendar
from gov_standards.china_time import CHINA_TZ
from workflow.supervision import domain

CAL = default_calendar()


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=CHINA_TZ)


def test_an_order_is_due_after_its_working_days_on_the_calendar() -> None:
    assert domain.order_deadline(CAL, date(2026, 2, 10), 2) == date(2026, 2, 12)
    # Fri 13 Feb + 2: Sat 14 (make-up working day), then the Spring Festival until Mon 23, so Tue 24.
    assert domain.order_deadline(CAL, date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_escalation_goes_one_level_up_and_stops_at_the_province() -> None:
    assert domain.escalation_target("450103") == "450100"
    assert domain.escalation_target("450100") == "450000"
    assert domain.escalation_target("450000") is None
    assert domain.is_overdue("open", date(2026, 2, 12), date(2026, 2, 13))
    assert not domain.is_overdue("open", date(2026, 2, 12), date(2026, 2, 12))  # the last day is in time
    assert not domain.is_overdue("replied", date(2026, 2, 12), date(2026, 3, 1))
    assert domain.reply_is_late(date(2026, 2, 12), date(2026, 2, 13))


def test_repeated_and_out_of_order_reports_are_one_history() -> None:
    known = [("accepted", at(2, 10))]
    merged = domain.merge_history(known, [("completed", at(2, 26)), ("accepted", at(2, 10)), ("approved", at(2, 25))])
    assert [s for s, _ in merged] == ["accepted", "approved", "completed"]


def test_a_supplement_stops_the_pushed_case_clock() -> None:
    history = [("accepted", at(2, 10)), ("supplement_requested", at(2, 11)), ("accepted", at(3, 2))]
    waiting = domain.external_clock(history[:2], started=date(2026, 2, 10), deadline=date(2026, 2, 12), calendar=CAL)
    assert (waiting.paused_since, waiting.closed_at, waiting.on_time) == (date(2026, 2, 11), None, None)
    resumed = domain.external_clock(
        [*history, ("completed", at(3, 3))], started=date(2026, 2, 10), deadline=date(2026, 3, 5), calendar=CAL
    )
    # 11 Feb -> 2 Mar: 12, 13, 14 and 28 Feb (make-up days), 24-27 Feb, 2 Mar = 9 working days stopped.
    assert resumed.paused_days == 9 and resumed.paused_since is None
    # 10 Feb -> 3 Mar is 11 working days, 9 of them stopped.
    assert (resumed.handling_days, resumed.on_time, resumed.status) == (2, True, "completed")
    refused = domain.external_clock([("refused", at(2, 11))], started=date(2026, 2, 10), deadline=None, calendar=CAL)
    assert refused.closed_at == at(2, 11) and refused.handling_days is None and refused.on_time is None


def test_levels_of_a_pushed_case_follow_the_same_rule_as_ours() -> None:
    common = {"started": date(2026, 2, 2), "deadline": date(2026, 2, 12), "promised_days": 8, "paused_days": 0}
    assert (
        domain.sla_level(**common, paused_since=None, today=date(2026, 2, 9), calendar=CAL, warn_share=0.8) == "green"
    )
    assert (
        domain.sla_level(**common, paused_since=None, today=date(2026, 2, 11), calendar=CAL, warn_share=0.8) == "yellow"
    )
    assert domain.sla_level(**common, paused_since=None, today=date(2026, 2, 13), calendar=CAL, warn_share=0.8) == "red"
    stopped = domain.sla_level(
        **common, paused_since=date(2026, 2, 3), today=date(2026, 3, 31), calendar=CAL, warn_share=0.8
    )
    assert stopped == "green"


def test_changes_at_the_same_moment_keep_their_reported_order() -> None:
    merged = domain.merge_history([], [("received", at(2, 10)), ("accepted", at(2, 10))])
    assert [s for s, _ in merged] == ["received", "accepted"]
