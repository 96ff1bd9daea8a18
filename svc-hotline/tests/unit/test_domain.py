"""The hotline's pure rules: deadlines in working days, warnings, masking, the figures' formulas."""

from __future__ import annotations

from datetime import date

from gov_standards.calendar import default_calendar
from hotline import domain

CAL = default_calendar()


def test_deadlines_count_working_days_from_the_day_of_dispatch() -> None:
    monday = date(2026, 12, 7)
    assert domain.due_date(CAL, monday, "complaint", "normal") == date(2026, 12, 14)
    assert domain.due_date(CAL, monday, "consultation", "normal") == date(2026, 12, 9)
    assert domain.due_date(CAL, monday, "complaint", "urgent") == date(2026, 12, 8)
    assert domain.due_date(CAL, monday, "complaint", "normal", extension_days=3) == date(2026, 12, 17)
    # Over the National Day holidays (1-8 October 2026 off): a Tuesday-30-September dispatch.
    assert domain.due_date(CAL, date(2026, 9, 30), "consultation", "normal") > date(2026, 10, 8)


def test_alerts() -> None:
    due = date(2026, 12, 14)
    assert domain.alert(CAL, date(2026, 12, 10), due, answered=False) == "none"
    assert domain.alert(CAL, date(2026, 12, 11), due, answered=False) == "yellow"  # Friday: Monday is next
    assert domain.alert(CAL, date(2026, 12, 14), due, answered=False) == "yellow"
    assert domain.alert(CAL, date(2026, 12, 15), due, answered=False) == "red"
    assert domain.alert(CAL, date(2026, 12, 15), due, answered=True) == "none"


def test_masks() -> None:
    assert domain.mask_phone(domain.normalise_phone("138-1234-5678")) == "138****5678"
    assert domain.mask_phone("07715551234") == "****1234"
    assert domain.mask_name("李明") == "李*"


def test_moves() -> None:
    assert domain.may("sign", "dispatched") and not domain.may("sign", "signed")
    assert not domain.may("answer", "dispatched") and domain.may("callback", "answered")


def test_figures_and_score() -> None:
    f = domain.Figures(dispatched=2, responded_in_time=2, answered=2, answered_on_time=1, answered_orders=1,
                       callbacks=2, solved=1, satisfied=1, reopened=1)  # fmt: skip
    assert (f.response_rate, f.on_time_rate, f.resolution_rate, f.satisfaction_rate, f.reopen_rate) == (
        1,
        0.5,
        0.5,
        0.5,
        1,
    )
    assert f.score == 52.5
    empty = domain.Figures(0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert empty.score is None and empty.on_time_rate is None
    only_dispatch = domain.Figures(dispatched=4, responded_in_time=3, answered=0, answered_on_time=0, answered_orders=0,
                                   callbacks=0, solved=0, satisfied=0, reopened=0)  # fmt: skip
    assert only_dispatch.score == 75.0  # the known rates carry the missing ones' weight


def test_an_order_is_forwarded_only_to_the_city_that_holds_it() -> None:
    assert domain.forward_refusal("450200", "450204") is None  # 柳南区 is in Liuzhou
    assert domain.forward_refusal("450200", "450200") is None
    assert domain.forward_refusal("450100", "450204") == "the order's region is not in that city"
    for not_a_city in ("450000", "450204", "450199", "110100", "451500"):
        assert domain.forward_refusal(not_a_city, "450204") == "not a prefecture-level city of the province"
    assert len(domain.CITIES) == 14 and domain.CITIES["451400"] == "崇左市"
    assert domain.city_desk("450200") == "12345-450200"
