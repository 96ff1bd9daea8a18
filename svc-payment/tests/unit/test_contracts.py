"""The event contracts as payment relies on them: every payment contract is published by the code, the
consumer group reads fee requests where the workflow publishes them, and the models accept what they promise
and refuse the rest (a fee request refused here is dead-lettered, not turned into an order)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from pydantic import ValidationError

import payment
from gov_contracts import Event, EventHandlers
from gov_contracts import payment as contract
from gov_contracts.workflow import FeeRequested
from payment.consumers import FEE_REQUESTS_GROUP
from payment.main import SPEC

SRC = Path(payment.__file__).parent


def _contracts_built_in_code() -> set[str]:
    """Names of ``gov_contracts.payment`` models built (called) anywhere in the package."""
    used = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "contract":
                used.add(func.attr)
    return used


def test_every_payment_contract_is_published() -> None:
    ours = {n for n, m in vars(contract).items() if inspect.isclass(m) and issubclass(m, Event) and "type" in vars(m)}
    assert ours == {"OrderCreated", "OrderPaid", "OrderRefunded"}
    assert _contracts_built_in_code() == ours


def test_the_consumer_listens_where_the_workflow_publishes() -> None:
    (sub,) = SPEC.subscriptions
    assert isinstance(sub.handler, EventHandlers)
    assert sub.group == FEE_REQUESTS_GROUP and list(sub.topics) == [FeeRequested.topic] == ["gov.workflow.cases"]
    assert sub.handler.handles(FeeRequested.type) and not sub.handler.handles("workflow.case.accepted")


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
    assert FeeRequested.read(VALID).lines[0].amount_fen == 1000
    assert FeeRequested.read(VALID | {"region": "450100000000"}).region == "450100000000"
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
            FeeRequested.read(bad)


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
    assert contract.OrderPaid.model_validate(paid | {"paid_at": "2026-11-27T10:00:00+08:00"}).currency == "CNY"
    with pytest.raises(ValidationError):
        contract.OrderPaid.model_validate(paid | {"paid_at": "2026-11-27T10:00:00"})
