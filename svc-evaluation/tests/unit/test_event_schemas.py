"""The event contracts as evaluation relies on them: every evaluation contract is published by the code, the
consumer groups read where workflow and catalog publish, and the models accept what they promise and refuse
the rest (an event refused here is dead-lettered)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from pydantic import ValidationError

import evaluation
from evaluation.consumers import CASES, HOTLINE, ITEMS
from evaluation.main import CALENDAR, SPEC
from gov_contracts import Event
from gov_contracts import evaluation as contract
from gov_contracts.calendar import CalendarYearChanged
from gov_contracts.workflow import CaseCompleted

SRC = Path(evaluation.__file__).parent


def _contracts_built_in_code() -> set[str]:
    """Names of ``gov_contracts.evaluation`` models built (called) anywhere in the package."""
    used = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "contract":
                used.add(func.attr)
    return used


def test_every_evaluation_contract_is_published() -> None:
    ours = {n for n, m in vars(contract).items() if inspect.isclass(m) and issubclass(m, Event) and "type" in vars(m)}
    assert ours == {"RatingSubmitted", "RectificationOverdue", "ConsultationSubmitted", "ConsultationRated"}
    assert _contracts_built_in_code() == ours


def test_the_consumers_listen_where_workflow_catalog_and_hotline_publish() -> None:
    subs = {sub.group: list(sub.topics) for sub in SPEC.subscriptions}
    assert subs == {
        CASES.group: ["gov.workflow.cases"],
        ITEMS.group: ["gov.catalog.items"],
        HOTLINE.group: ["gov.hotline.orders"],
        CALENDAR.group: [CalendarYearChanged.topic],
    }
    assert [m.type for m in CASES.models] == ["workflow.case.completed"]
    assert {m.type for m in ITEMS.models} == {"catalog.item.published", "catalog.item.withdrawn"}
    assert [m.type for m in HOTLINE.models] == ["hotline.order.rated", "hotline.consultation.answered"]


COMPLETED = {
    "case_id": "c1",
    "application_id": "a1",
    "tracking_number": "T1",
    "item_code": "I1",
    "item_name": "n",
    "region": "450103",
    "department": "11450100MBQH0Y21QM",
    "applicant": {"subject": "u1", "kind": "enterprise", "enterprise": "91450100MA5KXXXX1X"},
    "occurred_at": "2026-09-24T10:00:00+08:00",
    "completed_at": "2026-09-24T10:00:00+08:00",
    "result": "approved",
    "handled_by": ["s1", "s2"],
}


def test_case_completed_schema() -> None:
    done = CaseCompleted.read(COMPLETED | {"added_later": 1})  # a field the contract does not know is ignored
    assert done.handled_by == ("s1", "s2") and done.applicant.enterprise == "91450100MA5KXXXX1X"
    for bad in (
        COMPLETED | {"department": {"code": "D1", "name": "局"}},
        COMPLETED | {"result": "maybe"},
        COMPLETED | {"completed_at": "2026-09-24T10:00:00"},  # no offset
        COMPLETED | {"applicant": {"subject": "u", "kind": "staff"}},
        {k: v for k, v in COMPLETED.items() if k != "case_id"},
    ):
        with pytest.raises(ValidationError):
            CaseCompleted.read(bad)


def test_published_schemas() -> None:
    submitted = {
        "rating_id": "r1",
        "case_id": None,
        "level": 5,
        "channel": "hall_device",
        "department": "D",
        "region": "450103",
        "item_code": None,
        "rated_at": "2026-09-24T02:00:00+00:00",
    }
    assert contract.RatingSubmitted.model_validate(submitted).level == 5
    for bad in (submitted | {"level": 0}, submitted | {"level": 6}, submitted | {"channel": "fax"}):
        with pytest.raises(ValidationError):
            contract.RatingSubmitted.model_validate(bad)
    overdue = contract.RectificationOverdue.model_validate(
        {"rectification_id": "x", "rating_id": "r", "department": "D", "due": "2026-10-22"}
    )
    assert str(overdue.due) == "2026-10-22"
    with pytest.raises(ValidationError):
        contract.RectificationOverdue.model_validate({"rectification_id": "x", "rating_id": "r", "department": "D"})
