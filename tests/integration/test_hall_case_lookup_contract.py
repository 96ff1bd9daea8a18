"""svc-hall's kiosk case lookup reads what svc-application's /v1/case-lookups serves (its own response model),
and both demos name the same appointment hall. Here because it imports both services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from application.applications.schemas import HistoryEntry, PublicStatus
from application.case_lookups.router import SCOPE as APPLICATION_SCOPE
from application.case_lookups.router import CaseLookup
from gov_common.scopes import SYSTEM_ONLY
from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID
from hall.cases import SCOPE as HALL_SCOPE
from hall.demo import demo_hall
from hall.kiosks.schemas import CaseStatus, KioskCaseLookup


def test_the_hall_reads_the_status_application_serves() -> None:
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    served = PublicStatus(
        tracking_number="45010020261207000001",
        item_name="食品经营许可",
        department_name="南宁市市场监督管理局",
        status="accepted",
        submitted_at=at,
        updated_at=at,
        history=[HistoryEntry(status="submitted", at=at), HistoryEntry(status="accepted", at=at)],
    )
    read = CaseStatus.model_validate(served.model_dump(mode="json"))
    assert read.model_dump(mode="json") == served.model_dump(mode="json")


def test_what_the_hall_sends_is_what_application_accepts() -> None:
    kiosk_in = KioskCaseLookup.model_validate(
        {
            "tracking_number": "45010020261207000001",
            "real_name": {"method": "id_card", "id_number": "11010519491231002X"},
        }
    )
    sent = {"tracking_number": kiosk_in.tracking_number, "id_number": kiosk_in.real_name.id_number}
    assert CaseLookup.model_validate(sent).model_dump() == sent
    assert HALL_SCOPE == APPLICATION_SCOPE and HALL_SCOPE in SYSTEM_ONLY


def test_the_demo_hall_serves_applications_demo_hall() -> None:
    assert demo_hall().appointment_hall_id == NANNING_APPOINTMENT_HALL_ID
    assert isinstance(NANNING_APPOINTMENT_HALL_ID, uuid.UUID)
