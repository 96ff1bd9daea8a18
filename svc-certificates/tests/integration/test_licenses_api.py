"""Issuing, sealing, verifying, status changes, rotation and access on real PostgreSQL."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import quote

import jwt as pyjwt
from gmssl import sm2 as pure_sm2

from certificates import statuslist
from certificates.identifiers import parse_identifier

from ..conftest import BIZ, CITIZEN_ID, DEPT, ENTERPRISE, FOOD, OTHER_DEPT, PERSON, Api, case_approved


async def test_issued_license_is_a_vc_jwt_any_verifier_accepts(api: Api) -> None:
    lic = await api.issue()
    parse_identifier(lic["identifier"])  # the national format with a correct check character
    assert lic["identifier"].startswith(f"1.2.156.3005.2.{BIZ}.{DEPT}.")
    assert lic["holder_id_masked"] == "9145**********2B3J"
    issuer = (await api.client.get(f"/v1/issuers/{DEPT}")).json()
    key = pyjwt.PyJWK(issuer["jwks"]["keys"][0]).key
    vc = pyjwt.decode(lic["credential_jwt"], key, algorithms=["ES256"])
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["credentialSubject"]["license"]["fields"]["entity_name"] == "南宁示例科技有限公司"
    holder = vc["credentialSubject"]["holder"]
    assert holder["name"] == "南宁示例**有限公司" and ENTERPRISE not in lic["credential_jwt"] + json.dumps(vc)
    assert holder["id_digest"]["alg"] == "hmac-sha256" and set(holder["id_digest"]) == {"alg", "salt", "digest"}
    assert {s["statusPurpose"] for s in vc["credentialStatus"]} == {"revocation", "suspension"}
    sm2 = pure_sm2.CryptSM2(private_key=None, public_key=issuer["sm2_keys"][0]["public_key"][2:], asn1=True)
    canonical = json.dumps(vc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert sm2.verify_with_sm3(lic["seal"]["signature"], canonical)

    ok = await api.client.post("/v1/verify", json={"credential": lic["credential_jwt"]})
    assert ok.json()["result"] == "authentic", ok.text
    assert ok.json()["issuer"]["name"]
    by_id = await api.client.get(f"/v1/verify/{lic['identifier']}")
    assert by_id.json()["result"] == "authentic"


async def test_a_changed_field_is_detected(api: Api) -> None:
    lic = await api.issue()
    head, payload, sig = lic["credential_jwt"].split(".")
    vc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    vc["credentialSubject"]["license"]["fields"]["entity_name"] = "另一家公司"
    forged = base64.urlsafe_b64encode(json.dumps(vc, ensure_ascii=False).encode()).decode().rstrip("=")
    resp = await api.client.post("/v1/verify", json={"credential": f"{head}.{forged}.{sig}"})
    assert resp.status_code == 200
    assert resp.json()["result"] == "tampered"
    bad_check = lic["identifier"][:-1] + ("0" if lic["identifier"][-1] != "0" else "1")
    assert (await api.client.get(f"/v1/verify/{bad_check}")).json()["result"] == "tampered"


async def test_key_rotation_keeps_old_licenses_valid(api: Api) -> None:
    old = await api.issue(key="before")
    refused = await api.client.post(f"/v1/seals/{DEPT}/rotations", headers=api.staff("approver"))
    assert refused.status_code == 403
    rotated = await api.client.post(f"/v1/seals/{DEPT}/rotations", headers=api.staff("staff_admin"))
    assert rotated.status_code == 201, rotated.text
    new = await api.issue(key="after")
    assert pyjwt.get_unverified_header(new["credential_jwt"])["kid"] == rotated.json()["kid"]
    assert pyjwt.get_unverified_header(old["credential_jwt"])["kid"] != rotated.json()["kid"]
    for lic in (old, new):
        assert (await api.client.post("/v1/verify", json={"credential": lic["credential_jwt"]})).json()[
            "result"
        ] == "authentic"
    issuer = (await api.client.get(f"/v1/issuers/{DEPT}")).json()
    assert len(issuer["jwks"]["keys"]) == 2


async def _status_bit(api: Api, purpose: str, vc_jwt: str) -> bool:
    """Read the status as an outside verifier would: fetch the list credential, check it, decode the bit."""
    vc = pyjwt.decode(vc_jwt, options={"verify_signature": False})
    entry = next(e for e in vc["credentialStatus"] if e["statusPurpose"] == purpose)
    path = entry["statusListCredential"].removeprefix("https://gov.example/api/certificates")
    resp = await api.client.get(path)
    assert resp.headers["content-type"].startswith("application/vc+jwt")
    assert "max-age" in resp.headers["cache-control"]
    issuer = (await api.client.get(f"/v1/issuers/{DEPT}")).json()
    keys = {k["kid"]: k for k in issuer["jwks"]["keys"]}
    kid = pyjwt.get_unverified_header(resp.text)["kid"]
    status_vc = pyjwt.decode(resp.text, pyjwt.PyJWK(keys[kid]).key, algorithms=["ES256"])
    assert status_vc["credentialSubject"]["statusPurpose"] == purpose
    bits = statuslist.decode(status_vc["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= 131_072
    return statuslist.get_bit(bits, int(entry["statusListIndex"]))


async def test_suspended_and_revoked_read_as_such_through_the_status_list(api: Api) -> None:
    await api.issue(key="first")
    lic = await api.issue(key="second")
    lid, jwt_ = lic["id"], lic["credential_jwt"]
    assert not await _status_bit(api, "suspension", jwt_)

    other = api.staff("approver", department=OTHER_DEPT)
    assert (
        await api.client.post(f"/v1/licenses/{lid}/suspend", json={"reason": "检查"}, headers=other)
    ).status_code == 404
    no_reason = await api.client.post(f"/v1/licenses/{lid}/suspend", json={}, headers=api.staff("approver"))
    assert no_reason.status_code == 422 and no_reason.headers["content-type"] == "application/problem+json"

    s = await api.client.post(f"/v1/licenses/{lid}/suspend", json={"reason": "经营异常"}, headers=api.staff("approver"))
    assert s.status_code == 200 and s.json()["status"] == "suspended"
    assert await _status_bit(api, "suspension", jwt_)
    assert (await api.client.post("/v1/verify", json={"credential": jwt_})).json()["result"] == "suspended"

    lifted = await api.client.post(f"/v1/licenses/{lid}/lift", json={"reason": "已整改"}, headers=api.staff("approver"))
    assert lifted.json()["status"] == "active"
    assert not await _status_bit(api, "suspension", jwt_)

    r = await api.client.post(f"/v1/licenses/{lid}/revoke", json={"reason": "吊销"}, headers=api.staff("approver"))
    assert r.json()["status"] == "revoked"
    assert await _status_bit(api, "revocation", jwt_)
    assert (await api.client.post("/v1/verify", json={"credential": jwt_})).json()["result"] == "revoked"
    again = await api.client.post(f"/v1/licenses/{lid}/lift", json={"reason": "x1"}, headers=api.staff("approver"))
    assert again.status_code == 409 and again.json()["type"].endswith("certificates-invalid-transition")


async def test_renewal_issues_a_new_version_linked_to_the_old(api: Api) -> None:
    old = await api.issue()
    resp = await api.client.post(
        f"/v1/licenses/{old['id']}/renewals",
        json={"fields": {"address": "南宁市青秀区"}},
        headers=api.staff("approver"),
    )
    assert resp.status_code == 201, resp.text
    new = resp.json()
    assert new["version"] == 2 and new["previous_id"] == old["id"]
    assert new["identifier"].split(".")[-3] == old["identifier"].split(".")[-3]
    assert new["fields"]["address"] == "南宁市青秀区"
    assert (await api.client.post("/v1/verify", json={"credential": new["credential_jwt"]})).json()[
        "result"
    ] == "authentic"
    assert (await api.client.post("/v1/verify", json={"credential": old["credential_jwt"]})).json()[
        "result"
    ] == "revoked"


async def test_issuing_is_for_approvers_and_bad_input_changes_nothing(api: Api) -> None:
    case_id = await api.approve(case_approved())
    body = {"case_id": case_id, "type_code": BIZ, "fields": {}}
    citizen = await api.client.post("/v1/licenses", json=body, headers={**api.citizen(), "Idempotency-Key": "a"})
    assert citizen.status_code == 403 and citizen.json()["required_scope"] == "certificates.licenses.issue"
    reviewer = await api.client.post(
        "/v1/licenses", json=body, headers={**api.staff("reviewer"), "Idempotency-Key": "a"}
    )
    assert reviewer.status_code == 404
    missing = await api.client.post(
        "/v1/licenses", json=body, headers={**api.staff("approver"), "Idempotency-Key": "a"}
    )
    assert missing.status_code == 422 and missing.json()["missing"] == ["entity_name"]
    no_key = await api.client.post(
        "/v1/licenses", json={**body, "fields": {"entity_name": "x"}}, headers=api.staff("approver")
    )
    assert no_key.status_code == 400 and no_key.json()["type"].endswith(":idempotency-key-required")
    wallet = await api.client.get("/v1/wallet/licenses", headers=api.enterprise())
    assert wallet.json()["items"] == []
    first = await api.issue(key="same")
    replay = await api.client.post(
        "/v1/licenses",
        json={
            "case_id": first["case_id"],
            "type_code": BIZ,
            "fields": {"entity_name": "南宁示例科技有限公司", "legal_representative": "张三"},
        },
        headers={**api.staff("approver"), "Idempotency-Key": "same"},
    )
    assert replay.status_code == 201 and replay.json() == first and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Location"] == f"/v1/licenses/{first['id']}"
    again = await api.client.post(
        "/v1/licenses",
        json={"case_id": first["case_id"], "type_code": BIZ, "fields": {"entity_name": "另一家公司"}},
        headers={**api.staff("approver"), "Idempotency-Key": "other"},
    )
    assert again.status_code == 409 and again.json()["type"].endswith("certificates-license-exists")


async def test_a_license_is_issued_on_approval_when_the_form_fills_its_fields(api: Api) -> None:
    """A citizen's case: the holder is resolved through identity, the license carries the case's region."""
    case_id = await api.approve(case_approved(type_code=FOOD, applicant=PERSON, fields={"operator_name": "李四小吃"}))
    wallet = (await api.client.get("/v1/wallet/licenses", headers=api.citizen())).json()["items"]
    assert [(x["case_id"], x["holder_name"], x["region"]) for x in wallet] == [(case_id, "李四", "450100")]
    assert CITIZEN_ID not in wallet[0]["credential_jwt"]
    vc = pyjwt.decode(wallet[0]["credential_jwt"], options={"verify_signature": False})
    assert vc["credentialSubject"]["holder"]["name"] == "李*"
    by_hand = await api.client.post(
        "/v1/licenses",
        json={"case_id": case_id, "type_code": FOOD, "fields": {"operator_name": "x1"}},
        headers={**api.staff("approver"), "Idempotency-Key": "late"},
    )
    assert by_hand.status_code == 409


async def test_pdf_has_the_license_and_a_qr_code(api: Api) -> None:
    lic = await api.issue()
    resp = await api.client.get(f"/v1/licenses/{lic['id']}/pdf", headers=api.enterprise())
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")
    assert b"STSong-Light" in resp.content
    # A download named for the licence, never a page: attachment, nosniff, a CSP that disables everything.
    plain = f'attachment; filename="{lic["identifier"]}.pdf"'
    full = quote(f"{lic['type_name']}-{lic['identifier']}.pdf", safe="")
    assert resp.headers["content-disposition"] == f"{plain}; filename*=UTF-8''{full}"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
    assert resp.headers["cache-control"] == "private, no-store"
    assert (await api.client.get(f"/v1/licenses/{lic['id']}/pdf", headers=api.citizen())).status_code == 404


async def test_the_licenses_of_a_case_for_its_staff_and_holder_only(api: Api) -> None:
    lic = await api.issue()
    case_id = lic["case_id"]
    for headers in (api.staff("reviewer"), api.staff("acceptor", subject="someone-else"), api.enterprise()):
        got = await api.client.get(f"/v1/cases/{case_id}/licenses", headers=headers)
        assert got.status_code == 200 and [x["id"] for x in got.json()["items"]] == [lic["id"]], got.text
    # Another department, another city, a case handled by none of them: an empty list, nothing else.
    for headers in (
        api.staff("approver", department=OTHER_DEPT),
        api.staff("approver", region="450200"),
        api.citizen("someone"),
    ):
        got = await api.client.get(f"/v1/cases/{case_id}/licenses", headers=headers)
        assert got.status_code == 200 and got.json()["items"] == [], got.text
    unknown = await api.client.get(f"/v1/cases/{uuid.uuid4()}/licenses", headers=api.staff("reviewer"))
    assert unknown.json()["items"] == []
    assert (await api.client.get(f"/v1/cases/{case_id}/licenses")).status_code == 401
    assert (await api.client.get("/v1/cases/not-a-case/licenses", headers=api.staff("reviewer"))).status_code == 422
