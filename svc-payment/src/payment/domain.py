"""Business rules of payment as plain functions: the order state graph, refund limits, scope of staff,
business days and statement matching. No I/O; unit tests call them directly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from gov_standards.china_time import china_date


class OrderStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


S = OrderStatus
# The documented transition graph. ``failed`` may go back to ``pending``: the applicant can try again.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.CREATED: frozenset({S.PENDING, S.EXPIRED, S.CANCELLED}),
    S.PENDING: frozenset({S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED}),
    # A channel may still report a failed trade paid (the payer retried on its cashier page): money taken
    # is a fact the graph must accept.
    S.FAILED: frozenset({S.PENDING, S.PAID, S.EXPIRED, S.CANCELLED}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
UNPAID = frozenset({S.CREATED, S.PENDING, S.FAILED})
PAID_STATES = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED})


def can_transition(current: str, target: str) -> bool:
    return OrderStatus(target) in TRANSITIONS[OrderStatus(current)]


def refundable_fen(*, paid_fen: int, refunded_fen: int, reserved_fen: int) -> int:
    """What may still be asked back: paid, minus refunded, minus refunds requested and not yet decided."""
    return max(0, paid_fen - refunded_fen - reserved_fen)


def status_after_refund(*, paid_fen: int, refunded_fen: int) -> OrderStatus:
    return S.REFUNDED if refunded_fen >= paid_fen else S.PARTIALLY_REFUNDED


def business_date(moment: datetime) -> date:
    """The channel's settlement day of a moment: the calendar day in China."""
    return china_date(moment)


@dataclass(frozen=True)
class Entry:
    """One money movement, from our ledger or from a channel statement."""

    kind: str  # pay | refund
    reference: str  # out_trade_no for a payment, our refund id for a refund
    amount_fen: int


@dataclass(frozen=True)
class Difference:
    kind: str  # missing (ours only) | extra (statement only) | mismatched (both, amounts differ)
    entry_kind: str
    reference: str
    ledger_amount_fen: int | None
    statement_amount_fen: int | None


@dataclass(frozen=True)
class Matching:
    matched: int
    differences: list[Difference]


def trade_entries(booked: Iterable[tuple[str, str, str | None, int]]) -> list[Entry]:
    """Our side of a statement from booked (kind, reference, trade reference, amount): one entry per channel
    trade. The orders a combined payment paid in one trade (same trade reference) are summed, as the
    channel lists the trade once."""
    single: list[Entry] = []
    trades: dict[tuple[str, str], int] = {}
    for kind, reference, trade, amount in booked:
        if trade:
            trades[(kind, trade)] = trades.get((kind, trade), 0) + amount
        else:
            single.append(Entry(kind, reference, amount))
    return single + [Entry(kind, ref, amount) for (kind, ref), amount in trades.items()]


def reconcile(ledger: Iterable[Entry], statement: Iterable[Entry]) -> Matching:
    """Match one day's ledger against the channel's statement by (kind, reference).

    A reference appearing twice on one side is itself a difference (a double booking): the second
    occurrence is reported as extra (statement) or missing (ledger)."""
    ours: dict[tuple[str, str], int] = {}
    differences: list[Difference] = []
    for e in ledger:
        if (e.kind, e.reference) in ours:
            differences.append(Difference("missing", e.kind, e.reference, e.amount_fen, None))
        else:
            ours[(e.kind, e.reference)] = e.amount_fen
    theirs: dict[tuple[str, str], int] = {}
    for e in statement:
        if (e.kind, e.reference) in theirs:
            differences.append(Difference("extra", e.kind, e.reference, None, e.amount_fen))
        else:
            theirs[(e.kind, e.reference)] = e.amount_fen
    matched = 0
    for key in sorted(ours.keys() | theirs.keys()):
        mine, other = ours.get(key), theirs.get(key)
        if mine is None:
            differences.append(Difference("extra", key[0], key[1], None, other))
        elif other is None:
            differences.append(Difference("missing", key[0], key[1], mine, None))
        elif mine != other:
            differences.append(Difference("mismatched", key[0], key[1], mine, other))
        else:
            matched += 1
    return Matching(matched=matched, differences=differences)
