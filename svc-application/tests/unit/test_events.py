"""The application events as we publish them (gov_contracts.application) refuse what the contract forbids,
every one is published by the code, and the consumer groups read exactly the events that move an
application."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

import application
from application.consumers import CASES, ITEMS
from application.domain import WORKFLOW_STATUS
from application.main import SPEC
from gov_contracts import Event
from gov_contracts import application as ev

SRC = Path(application.__file__).parent


def submitted(**over: object) -> dict:
    body: dict = {
        "application_id": "3f1c4b1e-0000-4000-8000-000000000001",
        "tracking_number": "45010020261127000001",
        "submitted_at": datetime.now(UTC).isoformat(),
        "channel": "online",
        "item": {"implementation_code": "X", "version": 2, "name": "食品经营许可"},
        "bundle_code": None,
        "region": "450100",
        "department": {"code": "11450100MBQH0Y21QM", "name": "南宁市市场监督管理局"},
        "applicant": {
            "subject": "u-1",
            "kind": "citizen",
            "enterprise": None,
            "agent": None,
            "name_masked": "张*",
            "id_tail": "002X",
        },
        "form": {"a": 1},
        "materials": [
            {
                "name": "营业执照",
                "source": "license",
                "sha256": None,
                "license_id": "L1",
                "license_type": "营业执照",
                "verified": True,
            }
        ],
    }
    body.update(over)
    return body


def test_submitted_payload_validates_and_refuses_what_the_contract_forbids() -> None:
    model = ev.ApplicationSubmitted.model_validate(submitted())
    assert datetime.fromisoformat(model.to_data()["submitted_at"]).tzinfo is not None, "RFC 3339 with offset"
    with pytest.raises(ValidationError):
        ev.ApplicationSubmitted.model_validate(submitted(tracking_number="GX-1"))
    with pytest.raises(ValidationError):
        ev.ApplicationSubmitted.model_validate(submitted(submitted_at="2026-11-27T10:00:00"))  # no offset
    with pytest.raises(ValidationError):
        ev.ApplicationSubmitted.model_validate(submitted(id_number="11010519491231002X"))


def test_supplemented_and_withdrawn_payloads() -> None:
    now = datetime.now(UTC)
    ev.ApplicationSupplemented(
        application_id="a",
        tracking_number="45010020261127000001",
        case_id="c",
        supplemented_at=now,
        materials=[],
        form=None,
    )
    ev.ApplicationWithdrawn(
        application_id="a", tracking_number="45010020261127000001", case_id=None, withdrawn_at=now, reason="r"
    )
    with pytest.raises(ValidationError):
        ev.MaterialRef(
            name="x", source="upload", sha256="not-a-hash", license_id=None, license_type=None, verified=False
        )


def test_every_application_contract_is_published() -> None:
    ours = {n for n, m in vars(ev).items() if inspect.isclass(m) and issubclass(m, Event) and "type" in vars(m)}
    built = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "ev":
                built.add(func.attr)
            elif isinstance(func, ast.Name):  # imported by name (the appointment events)
                built.add(func.id)
    assert ours == {
        "ApplicationSubmitted",
        "ApplicationSupplemented",
        "ApplicationWithdrawn",
        "AppointmentBooked",
        "AppointmentChanged",
        "AppointmentCancelled",
        "BundleSubmitted",
        "BundleCompleted",
    }
    assert ours <= built


def test_the_consumers_read_what_moves_an_application() -> None:
    assert {m.type for m in CASES.models} == set(WORKFLOW_STATUS), "every status the workflow reports, no more"
    assert {m.type for m in ITEMS.models} == {
        "catalog.item.published",
        "catalog.item.withdrawn",
        "catalog.bundle.published",
        "catalog.bundle.withdrawn",
    }
    groups = {s.group: list(s.topics) for s in SPEC.subscriptions}
    assert groups[CASES.group] == ["gov.workflow.cases"] and groups[ITEMS.group] == ["gov.catalog.items"]
