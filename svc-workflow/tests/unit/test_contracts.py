"""Every event type we publish has a documented schema (that payment reads fee_requested with its own
schema is tests/integration/test_service_contracts.py's); the consumed shapes follow docs/events.md; time travel cannot be switched on in production."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from workflow import events
from workflow.main import SPEC
from workflow.settings import Settings

COMMON = {
    "case_id": "c1",
    "application_id": "a1",
    "tracking_number": "GX1",
    "item_code": "000112004000-450100",
    "item_name": "食品经营许可",
    "region": "450100",
    "department": "11450100MBQH0Y21QM",
    "applicant": {"subject": "u1", "kind": "citizen", "enterprise": None},
    "occurred_at": datetime(2026, 2, 10, tzinfo=UTC),
}


def test_every_published_type_in_the_contract_has_a_schema() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "events.md").read_text("utf-8")
    for suffix in (
        "accepted",
        "refused",
        "supplement_requested",
        "fee_requested",
        "approved",
        "rejected",
        "completed",
        "withdrawn",
    ):
        assert f"workflow.case.{suffix}" in events.SCHEMAS
        assert f"`{suffix}`" in doc or f".{suffix}`" in doc, suffix
    assert {events.SLA_WARNING, events.SLA_OVERDUE} <= set(events.SCHEMAS)


def test_case_events_validate_and_refuse_strays() -> None:
    approved = events.payload(
        events.APPROVED,
        **COMMON,
        decided_by="smart-approval rule smart-approval-v1",
        opinion="ok",
        decided_at=datetime(2026, 2, 11, tzinfo=UTC),
        result_license_type="食品经营许可证",
        license_fields={"item_name": "食品经营许可"},
        holder={"id_type": "citizen_id", "id_hash": None, "name": "张*"},
    )
    assert approved["decided_at"] == "2026-02-11T00:00:00Z"
    assert (
        events.payload(events.ACCEPTED, **COMMON, accepted_by="s1", deadline=date(2026, 2, 13))["deadline"]
        == "2026-02-13"
    )
    with pytest.raises(ValidationError):
        events.payload(events.REFUSED, **COMMON, reason="x", id_number="450103199001011234")
    with pytest.raises(ValidationError):
        events.payload(events.SUPPLEMENT_REQUESTED, **COMMON, missing=[], note="x")


def test_consumers_subscribe_to_the_topics_that_carry_what_they_read() -> None:
    topics = {t for sub in SPEC.subscriptions for t in sub.topics}
    assert topics == {"gov.catalog.items", "gov.application.applications", "gov.payment.orders"}
    assert len({sub.group for sub in SPEC.subscriptions}) == len(SPEC.subscriptions)


def test_time_travel_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="production"):
        Settings(environment="production", allow_time_travel=True)
    assert Settings().allow_time_travel is False
