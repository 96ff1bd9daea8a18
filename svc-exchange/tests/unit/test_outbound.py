"""The outbound allow-list (exchange.outbound): what a webhook may carry of each event type, and its
agreement with the publishers' own event schemas. No I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exchange.webhooks.outbound import OUTBOUND, outbound_data
from gov_common.events import CloudEvent

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
EVENTS_DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def event(event_type: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(type=event_type, source="/svc-test", subject="s1", data=data, time=AT)


def test_a_case_event_keeps_only_its_outbound_fields() -> None:
    internal = {
        "case_id": "c1",
        "tracking_number": "GX1",
        "item_code": "I1",
        "item_name": "食品经营许可",
        "region": "450103",
        "applicant": {"subject": "citizen-1", "kind": "citizen"},
        "license_fields": {"id_number": "450102199001011231", "name": "张三"},
        "holder": {"id_type": "citizen_id", "name": "张三"},
        "occurred_at": "2026-12-01T10:00:00+08:00",
    }
    assert outbound_data(event("workflow.case.approved", internal)) == {
        "tracking_number": "GX1",
        "item_code": "I1",
        "region": "450103",
        "status": "approved",
        "time": "2026-12-01T10:00:00+08:00",
    }


def test_a_license_without_a_region_leaves_for_no_one() -> None:
    issued = {"license_id": "l1", "identifier": "1.2", "type_code": "JY", "issuer": {"code": "X"}, "version": 1}
    assert outbound_data(event("certificates.license.issued", issued)) is None
    assert outbound_data(event("certificates.license.issued", {**issued, "region": "Nanning"})) is None
    sent = outbound_data(event("certificates.license.issued", {**issued, "region": "450103"}))
    assert sent == {
        "license_id": "l1",
        "identifier": "1.2",
        "type_code": "JY",
        "issuer_code": "X",
        "version": 1,
        "region": "450103",
        "time": AT.isoformat(),
    }


def test_internal_types_and_nested_payloads_never_leave() -> None:
    data = {"region": "450103", "case_id": "c1", "tracking_number": {"name": "张三"}}
    assert outbound_data(event("workflow.case.fee_requested", data)) is None
    assert outbound_data(event("application.submitted", data)) is None
    assert outbound_data(event("workflow.case.accepted", data))["tracking_number"] is None  # type: ignore[index]


def documented_outbound() -> dict[str, set[str]]:
    """docs/events.md's outbound table: type -> fields (``.x`` in a row continues its first type's prefix)."""
    section = EVENTS_DOC.read_text().split("## Outbound events")[1].split("\n## ")[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        types, fields = line.split("|")[1:3]
        names = re.findall(r"`([^`]+)`", types)
        prefix = names[0].rsplit(".", 1)[0]
        for name in names:
            table[prefix + name if name.startswith(".") else name] = set(re.findall(r"`([^`]+)`", fields))
    return table


def test_the_documentation_lists_exactly_the_outbound_table() -> None:
    assert documented_outbound() == {t: {*spec.fields, *spec.fixed, "time"} for t, spec in OUTBOUND.items()}
