"""Every event type we publish has a documented schema and our payloads validate against it; what we
consume reads the publishers' own models (catalog.events) and the agreed shape of workflow events."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from application import events as ev

from ..conftest import item_published_event

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


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


def test_every_published_type_is_documented_on_the_contract_page() -> None:
    assert set(ev.PUBLISHED) == {"application.submitted", "application.supplemented", "application.withdrawn"}
    text = DOCS.read_text("utf-8")
    for event_type, model in ev.PUBLISHED.items():
        assert f"`{event_type}`" in text
        assert model.__doc__ and event_type in model.__doc__


def test_submitted_payload_validates_and_refuses_what_the_contract_forbids() -> None:
    model = ev.ApplicationSubmitted.model_validate(submitted())
    assert datetime.fromisoformat(ev.payload(model)["submitted_at"]).tzinfo is not None, "RFC 3339 with offset"
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


def test_we_read_the_catalogs_own_published_event() -> None:
    event = item_published_event()
    view = ev.ItemPublishedView.model_validate(event.data)
    assert view.implementation_code == event.subject and view.version == 1
    assert [m.name for m in view.definition.materials][:2] == ["营业执照", "经营场所平面图"]
    assert view.definition.materials[0].license_type == "营业执照"
    assert view.definition.form_schema["type"] == "object"
    assert re.fullmatch(r"\d{6}", view.definition.region)


def test_case_events_in_the_agreed_shape() -> None:
    case = ev.CaseEvent.model_validate(
        {
            "case_id": "c1",
            "application_id": "a1",
            "tracking_number": "45010020261127000001",
            "item_code": "X",
            "item_name": "n",
            "region": "450100",
            "department": "D",
            "applicant": {"subject": "u", "kind": "citizen", "enterprise": None},
            "occurred_at": "2026-11-27T10:00:00+08:00",
            "missing": [{"material": "平面图", "reason": "不清晰"}],
            "note": "请补正",
        }
    )
    assert case.missing == [{"material": "平面图", "reason": "不清晰"}]
    with pytest.raises(ValidationError):
        ev.CaseEvent.model_validate({"case_id": "c1"})
