"""Sealed case notices (受理通知书, 不予受理通知书, 补正材料通知书): issued once per workflow event, sealed by the
case's department, verifiable by number and from the PDF file alone; readable only by the case's applicant and
the department's staff in the region."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import sqlalchemy as sa
from gmssl import sm2 as pure_sm2

from certificates.models import Notice
from gov_common.events import CloudEvent
from gov_contracts import testing
from gov_contracts.workflow import CaseAccepted, CaseRefused, SupplementRequested

from ..conftest import DEPT, OTHER_DEPT, PERSON, REGION, Api

TRACKING = "45010020261207000042"


def _event(model: Any, case_id: str, **extra: Any) -> CloudEvent:
    data = {
        "case_id": case_id,
        "application_id": str(uuid.uuid4()),
        "tracking_number": TRACKING,
        "item_code": "000112004000-food",
        "item_name": "食品经营许可",
        "region": REGION,
        "department": DEPT,
        "applicant": PERSON,
        "occurred_at": "2026-12-07T10:00:00+08:00",
        **extra,
    }
    return testing.envelope(model.model_validate(data))


def seal_of_pdf(pdf: bytes) -> dict[str, Any]:
    """The seal token the PDF carries in its Keywords, decoded."""
    found = re.search(rb"gov-seal:([A-Za-z0-9_-]+)", pdf)
    assert found, "the PDF carries no seal"
    raw = found.group(1).decode()
    return dict(json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_an_accepted_case_gets_a_sealed_acceptance_notice_that_verifies(api: Api) -> None:
    case_id = str(uuid.uuid4())
    event = _event(CaseAccepted, case_id, accepted_by="staff-1", deadline="2026-12-21")
    await api.deliver(event)
    listed = await api.client.get(f"/v1/cases/{case_id}/notices", headers=api.staff("acceptor"))
    assert listed.status_code == 200, listed.text
    [notice] = listed.json()["items"]
    assert notice["kind"] == "acceptance" and notice["title"] == "受理通知书"
    assert notice["number"] == f"N-{TRACKING}-A1"
    assert notice["facts"] == {"accepted_on": "2026-12-07", "deadline": "2026-12-21"}
    assert notice["verify_url"] == f"https://gov.example/api/certificates/v1/verify/{notice['number']}"

    pdf = await api.client.get(f"/v1/notices/{notice['id']}/pdf", headers=api.staff("acceptor"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    # The seal checks from the file alone, with the issuer's published SM2 key and another SM2 implementation.
    seal = seal_of_pdf(pdf.content)
    assert seal["alg"] == "SM2-SM3" and seal["kid"] == notice["kid"] and seal["signature"] == notice["signature"]
    document = _unb64(seal["document"])
    assert json.loads(document)["number"] == notice["number"]
    issuer = (await api.client.get(f"/v1/issuers/{DEPT}")).json()
    [key] = [k for k in issuer["sm2_keys"] if k["kid"] == seal["kid"]]
    verifier = pure_sm2.CryptSM2(private_key=None, public_key=key["public_key"][2:], asn1=True)
    assert verifier.verify_with_sm3(seal["signature"], document)
    assert not verifier.verify_with_sm3(seal["signature"], document.replace(b"2026-12-21", b"2027-12-21"))

    verdict = await api.client.get(f"/v1/verify/{notice['number']}")
    assert verdict.json()["result"] == "authentic", verdict.text
    assert verdict.json()["type_name"] == "受理通知书" and verdict.json()["identifier"] == notice["number"]
    assert (await api.client.get(f"/v1/verify/N-{TRACKING}-A9")).json()["result"] == "unknown"


async def test_refusal_and_supplement_notices_and_a_tampered_one(api: Api) -> None:
    case_id = str(uuid.uuid4())
    await api.deliver(
        _event(
            SupplementRequested, case_id, missing=[{"material": "经营场所平面图", "reason": "不清晰"}], note="请重拍"
        )
    )
    await api.deliver(
        _event(SupplementRequested, case_id, missing=[{"material": "营业执照", "reason": "过期"}], note="")
    )
    await api.deliver(_event(CaseRefused, case_id, reason="不属于本机关职权范围"))
    items = (await api.client.get(f"/v1/cases/{case_id}/notices", headers=api.staff("reviewer"))).json()["items"]
    assert [(n["kind"], n["number"][-2:]) for n in items] == [
        ("supplement", "S1"),
        ("supplement", "S2"),
        ("refusal", "R1"),
    ]
    assert items[0]["facts"]["missing"] == [{"material": "经营场所平面图", "reason": "不清晰"}]
    assert items[2]["facts"] == {"reason": "不属于本机关职权范围"}
    for n in items:
        pdf = await api.client.get(f"/v1/notices/{n['id']}/pdf", headers=api.citizen())  # the applicant
        assert pdf.status_code == 200 and seal_of_pdf(pdf.content)["signature"] == n["signature"]

    # A notice changed in the database no longer verifies.
    async with api.app.state.runtime.db.transaction() as session:
        row = await session.scalar(sa.select(Notice).where(Notice.number == items[2]["number"]))
        assert row is not None
        row.document = {**row.document, "facts": {"reason": "改过的理由"}}
    assert (await api.client.get(f"/v1/verify/{items[2]['number']}")).json()["result"] == "tampered"


async def test_only_the_applicant_and_the_departments_staff_read_notices(api: Api) -> None:
    case_id = str(uuid.uuid4())
    await api.deliver(_event(CaseAccepted, case_id, accepted_by="staff-1", deadline="2026-12-21"))
    [notice] = (await api.client.get(f"/v1/cases/{case_id}/notices", headers=api.citizen())).json()["items"]
    outsiders = {
        "another citizen": api.citizen("citizen-2"),
        "another department": api.staff("acceptor", department=OTHER_DEPT),
        "the department in another city": api.staff("acceptor", region="450200"),
        "staff without a case role": api.staff("finance"),
    }
    for who, headers in outsiders.items():
        listed = await api.client.get(f"/v1/cases/{case_id}/notices", headers=headers)
        assert listed.status_code == 200 and listed.json()["items"] == [], who
        pdf = await api.client.get(f"/v1/notices/{notice['id']}/pdf", headers=headers)
        assert pdf.status_code == 404 and pdf.headers["content-type"] == "application/problem+json", who
    assert (await api.client.get(f"/v1/notices/{notice['id']}/pdf")).status_code == 401
    assert (await api.client.get("/v1/notices/not-a-uuid/pdf", headers=api.citizen())).status_code == 422
    assert (await api.client.get(f"/v1/notices/{uuid.uuid4()}/pdf", headers=api.citizen())).status_code == 404
    supervisor = api.staff("supervisor", department="11450000MB0000000X", region="450000")
    assert len((await api.client.get(f"/v1/cases/{case_id}/notices", headers=supervisor)).json()["items"]) == 1
