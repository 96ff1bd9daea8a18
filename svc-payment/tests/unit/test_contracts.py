"""The event contract: every event type we publish has a documented schema, the consumer subscribes to
the topic the workflow publishes on, and the schemas accept what they promise and refuse the rest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from payment import events
from payment.main import FEE_REQUESTS_GROUP, SPEC
from payment.settings import Settings

SRC = Path(events.__file__).parent


def _published_types_in_code() -> set[str]:
    """Event type constants passed to add_event or _emit anywhere in the package."""
    names = {name for name in dir(events) if name.startswith("ORDER_") and name != "ORDERS_TOPIC"}
    used = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in names:
                used.add(getattr(events, node.attr))
    return used


def test_every_published_type_has_a_schema() -> None:
    assert (
        _published_types_in_code()
        == set(events.PUBLISHED)
        == {
            "payment.order.created",
            "payment.order.paid",
            "payment.order.refunded",
        }
    )
    for schema in events.PUBLISHED.values():
        assert "case_id" in schema.model_fields and "order_id" in schema.model_fields


def test_the_consumer_listens_where_the_workflow_publishes() -> None:
    assert Settings().fee_requests_topic == events.FEE_REQUESTS_TOPIC == "gov.workflow.cases"
    (sub,) = SPEC.subscriptions
    assert sub.group == FEE_REQUESTS_GROUP and list(sub.topics) == [events.FEE_REQUESTS_TOPIC]
    assert set(events.CONSUMED) == {"workflow.case.fee_requested"}


VALID = {
    "case_id": "c1",
    "application_id": "a1",
    "tracking_number": "T1",
    "item_code": "I1",
    "applicant": {"subject": "u1", "kind": "enterprise", "enterprise": "91450100MA5KXXXX0X"},
    "department": "d1",
    "region": "450100",
    "lines": [{"code": "F1", "name": "工本费", "amount_fen": 1000, "legal_basis": "x"}],
}


def test_fee_requested_schema() -> None:
    assert events.FeeRequested.model_validate(VALID).lines[0].amount_fen == 1000
    assert events.FeeRequested.model_validate(VALID | {"region": "450100000000"}).region == "450100000000"
    for bad in (
        VALID | {"lines": []},
        VALID | {"region": "4501"},
        VALID | {"lines": [{"code": "F1", "name": "n", "amount_fen": 1.5}]},
        VALID | {"lines": [{"code": "F1", "name": "n", "amount_fen": -1}]},
        VALID | {"applicant": {"subject": "u", "kind": "system"}},
        # An enterprise's order without its credit code would belong to nobody; a citizen's names none.
        VALID | {"applicant": {"subject": "u", "kind": "enterprise"}},
        VALID | {"applicant": {"subject": "u", "kind": "citizen", "enterprise": "91450100MA5KXXXX0X"}},
        {k: v for k, v in VALID.items() if k != "case_id"},
    ):
        with pytest.raises(ValidationError):
            events.FeeRequested.model_validate(bad)


def test_times_must_carry_an_offset() -> None:
    paid = {
        "order_id": "o",
        "case_id": "c",
        "application_id": "a",
        "tracking_number": "t",
        "department": "d",
        "region": "450100",
        "amount_fen": 1,
        "channel": "sandbox",
        "channel_trade_no": "x",
        "receipt_no": "r",
    }
    assert events.OrderPaid.model_validate(paid | {"paid_at": "2026-11-27T10:00:00+08:00"}).currency == "CNY"
    with pytest.raises(ValidationError):
        events.OrderPaid.model_validate(paid | {"paid_at": "2026-11-27T10:00:00"})
