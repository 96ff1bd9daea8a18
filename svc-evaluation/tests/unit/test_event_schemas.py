"""The event contract: every event type we publish has a documented schema, the consumer listens where the
workflow publishes, and the schemas accept what they promise and refuse the rest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from evaluation import events
from evaluation.main import CALENDAR, CASES_GROUP, ITEMS_GROUP, SPEC
from evaluation.settings import Settings
from gov_contracts.calendar import CalendarYearChanged

SRC = Path(events.__file__).parent


def _published_types_in_code() -> set[str]:
    """Event type constants used as ``type=`` of add_event anywhere in the package."""
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "add_event":
                for kw in node.keywords:
                    if kw.arg == "type" and isinstance(kw.value, ast.Attribute):
                        used.add(getattr(events, kw.value.attr))
    return used


def test_every_published_type_has_a_schema() -> None:
    assert (
        _published_types_in_code()
        == set(events.PUBLISHED)
        == {
            "evaluation.rating.submitted",
            "evaluation.rectification.overdue",
        }
    )


def test_the_consumers_listen_where_workflow_and_catalog_publish() -> None:
    settings = Settings()
    assert settings.cases_topic == events.CASES_TOPIC == "gov.workflow.cases"
    assert settings.items_topic == events.ITEMS_TOPIC == "gov.catalog.items"
    subs = {sub.group: list(sub.topics) for sub in SPEC.subscriptions}
    assert subs == {
        CASES_GROUP: [events.CASES_TOPIC],
        ITEMS_GROUP: [events.ITEMS_TOPIC],
        CALENDAR.group: [CalendarYearChanged.topic],
    }
    assert set(events.CONSUMED) == {"workflow.case.completed", "catalog.item.published", "catalog.item.withdrawn"}


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
    done = events.CaseCompleted.model_validate(COMPLETED)
    assert done.handled_by == ["s1", "s2"] and done.applicant.enterprise == "91450100MA5KXXXX1X"
    as_object = events.CaseCompleted.model_validate(COMPLETED | {"department": {"code": "D1", "name": "局"}})
    assert as_object.department == "D1"
    for bad in (
        COMPLETED | {"region": "4501"},
        COMPLETED | {"result": "maybe"},
        COMPLETED | {"completed_at": "2026-09-24T10:00:00"},  # no offset
        COMPLETED | {"applicant": {"subject": "u", "kind": "staff"}},
        {k: v for k, v in COMPLETED.items() if k != "case_id"},
    ):
        with pytest.raises(ValidationError):
            events.CaseCompleted.model_validate(bad)


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
    assert events.RatingSubmitted.model_validate(submitted).level == 5
    for bad in (submitted | {"level": 0}, submitted | {"level": 6}, submitted | {"channel": "fax"}):
        with pytest.raises(ValidationError):
            events.RatingSubmitted.model_validate(bad)
    overdue = events.RectificationOverdue.model_validate(
        {"rectification_id": "x", "rating_id": "r", "department": "D", "due": "2026-10-22"}
    )
    assert str(overdue.due) == "2026-10-22"
    with pytest.raises(ValidationError):
        events.RectificationOverdue.model_validate({"rectification_id": "x", "rating_id": "r", "department": "D"})
