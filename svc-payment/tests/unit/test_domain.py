"""The order graph, refund limits, region scope, business days and statement matching."""

from __future__ import annotations

from datetime import UTC, datetime

from payment.domain import (
    PAID_STATES,
    TRANSITIONS,
    UNPAID,
    Difference,
    Entry,
    OrderStatus,
    business_date,
    can_transition,
    reconcile,
    refundable_fen,
    status_after_refund,
    trade_entries,
)

S = OrderStatus


def test_the_graph_matches_the_issue() -> None:
    assert TRANSITIONS[S.CREATED] == {S.PENDING, S.EXPIRED, S.CANCELLED}
    assert TRANSITIONS[S.PENDING] == {S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED}
    assert can_transition("paid", "partially_refunded") and can_transition("paid", "refunded")
    assert can_transition("partially_refunded", "refunded")
    for final in (S.EXPIRED, S.CANCELLED, S.REFUNDED):
        assert TRANSITIONS[final] == frozenset()
    assert not can_transition("paid", "expired") and not can_transition("expired", "paid")
    assert not can_transition("created", "paid"), "money is taken only through a channel trade"
    assert set(TRANSITIONS) == set(S)
    assert UNPAID.isdisjoint(PAID_STATES)


def test_refundable_and_status_after_refund() -> None:
    assert refundable_fen(paid_fen=1000, refunded_fen=300, reserved_fen=200) == 500
    assert refundable_fen(paid_fen=1000, refunded_fen=900, reserved_fen=200) == 0
    assert status_after_refund(paid_fen=1000, refunded_fen=999) == S.PARTIALLY_REFUNDED
    assert status_after_refund(paid_fen=1000, refunded_fen=1000) == S.REFUNDED


def test_business_date_is_the_day_in_china() -> None:
    assert str(business_date(datetime(2026, 11, 27, 15, 59, tzinfo=UTC))) == "2026-11-27"
    assert str(business_date(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))) == "2026-11-28"


def test_reconcile_finds_every_kind_of_difference() -> None:
    ledger = [
        Entry("pay", "a", 100),
        Entry("pay", "b", 200),
        Entry("refund", "r", 50),
        Entry("pay", "c", 300),
        Entry("pay", "d", 1),
    ]
    statement = [
        Entry("pay", "a", 100),
        Entry("pay", "b", 201),
        Entry("refund", "r", 50),
        Entry("pay", "x", 7),
        Entry("pay", "d", 1),
        Entry("pay", "d", 1),
    ]
    result = reconcile(ledger, statement)
    assert result.matched == 3
    assert set(result.differences) == {
        Difference("mismatched", "pay", "b", 200, 201),
        Difference("missing", "pay", "c", 300, None),
        Difference("extra", "pay", "x", None, 7),
        Difference("extra", "pay", "d", None, 1),  # listed twice by the channel
    }
    # A payment and a refund with the same reference are different entries.
    assert reconcile([Entry("pay", "z", 5)], [Entry("refund", "z", 5)]).matched == 0
    assert reconcile([], []).differences == []


def test_a_combined_trade_is_one_entry_of_its_orders_sum() -> None:
    booked = [
        ("pay", "order-a", "trade-1", 800),
        ("pay", "order-b", "trade-1", 2000),
        ("pay", "order-c", None, 500),
        ("refund", "refund-1", None, 300),
    ]
    entries = trade_entries(booked)
    assert sorted(entries, key=lambda e: e.reference) == [
        Entry("pay", "order-c", 500),
        Entry("refund", "refund-1", 300),
        Entry("pay", "trade-1", 2800),
    ]
    # the statement's one line for the trade matches; the trade's orders are not missing one by one
    matching = reconcile(
        entries, [Entry("pay", "trade-1", 2800), Entry("pay", "order-c", 500), Entry("refund", "refund-1", 300)]
    )
    assert matching.matched == 3 and matching.differences == []
