"""svc-hall's kiosk calls read what the services they ask serve, and send what those accept (their own
models): application's /v1/case-lookups, identity's /v1/holder-matches, certificates' /v1/kiosk-prints; both
demos name the same appointment hall. Here because it imports the services."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from application.applications.schemas import HistoryEntry, PublicStatus
from application.case_lookups.router import SCOPE as APPLICATION_SCOPE
from application.case_lookups.router import CaseLookup, LookedUpCase
from certificates.access import SCOPE_PRINT
from certificates.licenses.router import KioskHolder, KioskPrintAsk, PrintableLicense
from gov_common.scopes import SYSTEM_ONLY
from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID
from hall.cases import SCOPE as HALL_SCOPE
from hall.demo import demo_hall
from hall.holders import SCOPE as HOLDER_SCOPE
from hall.kiosks.schemas import CaseStatus, KioskCaseLookup, PrintableLicence
from hall.prints import SCOPE as PRINT_SCOPE
from identity.accounts.router import HOLDER_MATCH, HolderMatch, HolderMatchAsk


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


def test_the_hall_reads_the_case_id_application_answers_it() -> None:
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    served = LookedUpCase(
        tracking_number="45010020261207000001",
        case_id="0c7e5f0e-2b7c-4c39-9d0e-5a4b2d1c0a11",
        item_name="食品经营许可",
        department_name="南宁市市场监督管理局",
        status="approved",
        submitted_at=at,
        updated_at=at,
        history=[],
    )
    read = CaseStatus.model_validate(served.model_dump(mode="json"))
    assert read.case_id == served.case_id
    assert "case_id" not in read.model_dump(mode="json")  # the hall never shows it to the kiosk


def test_the_holder_check_the_hall_sends_is_what_identity_accepts() -> None:
    sent = {"subject": str(uuid.uuid4()), "id_number": "11010519491231002X"}
    assert HolderMatchAsk.model_validate(sent).model_dump(mode="json") == sent
    assert HolderMatch(matches=True).model_dump() == {"matches": True}
    assert HOLDER_SCOPE == HOLDER_MATCH and HOLDER_SCOPE in SYSTEM_ONLY


def test_the_hall_reads_the_licences_certificates_lists_and_asks_as_it_accepts() -> None:
    served = PrintableLicense(
        id=str(uuid.uuid4()),
        type_name="营业执照",
        identifier="1.2.156.3005.2.11100000000013338W001.11450100MBQH0Y21QM.0000000000000001.001.B",
        issuer_name="南宁市市场监督管理局",
        case_id=None,
        valid_from=date(2026, 12, 1),
        valid_until=None,
        issued_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    )
    read = PrintableLicence.model_validate(served.model_dump(mode="json"))
    assert read.model_dump(mode="json") == {k: v for k, v in served.model_dump(mode="json").items() if k != "case_id"}
    ask = {"id_number": "11010519491231002X", "license_id": served.id, "kiosk": "一楼自助机"}
    assert KioskPrintAsk.model_validate(ask).model_dump(mode="json") == ask
    assert KioskHolder.model_validate({"id_number": ask["id_number"]}).id_number == ask["id_number"]
    assert PRINT_SCOPE == SCOPE_PRINT and PRINT_SCOPE in SYSTEM_ONLY
