"""Issue 15, findings 9, 10 (an approver issues any license) and 8 (the license events' region), and the
licenses' share scope of finding 7: attacks on svc-certificates' own rules, so the service runs in-process
on PostgreSQL (no gateway involved), its consumer fed workflow.case.approved built with workflow's own
event model, identity's holder endpoint answered by a stand-in.

Each test is one attack and the platform's answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from joserfc import jws
from joserfc.jwk import ECKey

from certificates.consumers import handlers
from certificates.demo import DEMO_HOLDER_SUBJECT
from certificates.main import create_app
from certificates.models import Grant, License
from certificates.settings import Settings
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts.certificates import LicenseIssued, LicenseRevoked
from gov_contracts.testing import envelope
from gov_contracts.workflow import Applicant, CaseApproved, Holder

DEPT, OTHER_DEPT = "11450100MBQH0Y21QM", "11450200MB0000000T"  # Nanning's, Liuzhou's market regulation
NANNING, LIUZHOU = "450100", "450200"
BIZ, FOOD = "11100000000013338W001", "11100000000013338W011"  # 营业执照, 食品经营许可证 (demo types)
VICTIM_ID, VICTIM_NAME = "11010519491231002X", "李秀英"
FIRM, FIRM_NAME = "91450100MA5K9X2B3J", "南宁示例科技有限公司"
PROBLEM = "application/problem+json"


def identity_standin() -> httpx.MockTransport:
    """identity's token endpoint and ``GET /v1/accounts/{subject}/holder`` (docs/events.md)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 300})
        if request.url.path == "/v1/accounts/victim/holder":
            return httpx.Response(200, json={"id_type": "citizen_id", "id_number": VICTIM_ID, "name": VICTIM_NAME})
        return httpx.Response(404)

    return httpx.MockTransport(answer)


class Certificates:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, issuer: TestIssuer) -> None:
        self.app, self.client, self.issuer = app, client, issuer

    def staff(self, *roles: str, department: str = DEPT, region: str = NANNING) -> dict[str, str]:
        return self.issuer.headers("staff-1", kind="staff", roles=roles, department=department, region=region)

    async def approved(
        self,
        *,
        item: str,
        applicant: Applicant,
        holder_name: str,
        fields: dict[str, Any],
        region: str = NANNING,
        department: str = DEPT,
    ) -> str:
        """workflow.case.approved of a case of ``item`` (a license type name), handled by the consumer."""
        case_id = str(uuid.uuid4())
        approved = CaseApproved(
            case_id=case_id,
            application_id=str(uuid.uuid4()),
            tracking_number=f"{region}20261203000001",
            item_code=f"item-{uuid.uuid4().hex[:8]}",
            item_name=item,
            region=region,
            department=department,
            applicant=applicant,
            occurred_at="2026-12-03T10:00:00+08:00",
            decided_by="staff-7",
            opinion="准予许可",
            decided_at="2026-12-03T10:00:00+08:00",
            result_license_type=item,
            license_fields=fields,
            holder=Holder(id_type="credit_code" if applicant.kind == "enterprise" else "citizen_id", name=holder_name),
        )
        _, approvals = handlers(lambda: self.app.state.certificates)
        async with self.app.state.runtime.db.transaction() as session:
            await approvals(session, envelope(approved))
        return case_id

    async def victims_license(self) -> dict[str, Any]:
        """A citizen's 食品经营许可证, issued on approval; as the citizen's wallet shows it."""
        await self.approved(
            item="食品经营许可证",
            applicant=Applicant(subject="victim", kind="citizen"),
            holder_name="李*英",
            fields={"enterprise_name": "南宁老友粉店"},
        )
        wallet = await self.client.get("/v1/wallet/licenses", headers=self.issuer.headers("victim", kind="citizen"))
        assert wallet.status_code == 200, wallet.text
        (lic,) = wallet.json()["items"]
        return dict(lic)

    async def firms_case(self, **kwargs: Any) -> str:
        """An enterprise's approved 营业执照 case whose form filled none of its fields: its approver issues it."""
        return await self.approved(
            item="营业执照",
            applicant=Applicant(subject="agent-1", kind="enterprise", enterprise=FIRM),
            holder_name=FIRM_NAME,
            fields={},
            **kwargs,
        )

    async def licenses(self) -> list[License]:
        """The licences the tests issued (not the demo citizen's, which demo data gives at start)."""
        async with self.app.state.runtime.db.transaction() as session:
            return list(await session.scalars(sa.select(License).where(License.holder_subject != DEMO_HOLDER_SUBJECT)))

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        async with self.app.state.runtime.db.transaction() as session:
            rows = await session.execute(sa.select(outbox_event.c.data).where(outbox_event.c.type == event_type))
            # the demo citizen's licence (demo data) is not the tests' doing
            return [dict(r.data) for r in rows if r.data.get("holder", {}).get("subject") != DEMO_HOLDER_SUBJECT]


@pytest.fixture
async def certificates(pg_url: str, tmp_path: Path) -> AsyncIterator[Certificates]:
    issuer = TestIssuer()
    settings = Settings(database_url=pg_url, data_dir=tmp_path, log_json=False, demo_data=True)
    app = create_app(settings, identity_transport=identity_standin())
    issuer.install(app)
    async with serve_lifespan(app) as client:
        yield Certificates(app, client, issuer)


def _payload(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


# --- finding 9: the credential and its verification -----------------------------------------------


async def test_the_wallet_credential_carries_no_id_number_in_clear(certificates: Certificates) -> None:
    """Attack: read the citizen's wallet (or intercept the credential shown to a verifier) and take the
    holder's ID number and full name out of the credential. Answer: the credential holds a salted HMAC of
    the number under a platform key and the masked name; a verifier shown the number asks the platform."""
    lic = await certificates.victims_license()
    token = lic["credential_jwt"]
    decoded = json.dumps(_payload(token), ensure_ascii=False)
    for secret in (VICTIM_ID, VICTIM_ID[:17], VICTIM_NAME):
        assert secret not in token and secret not in decoded
    holder = _payload(token)["credentialSubject"]["holder"]
    assert holder["name"] == "李*英" and holder["id_type"] == "citizen_id"
    assert set(holder) == {"id_type", "id_digest", "name"}

    shown = await certificates.client.post("/v1/verify", json={"credential": token, "holder_id": VICTIM_ID})
    assert shown.json()["result"] == "authentic" and shown.json()["holder_id_matches"] is True
    wrong = await certificates.client.post("/v1/verify", json={"credential": token, "holder_id": "110105194912310038"})
    assert wrong.json()["holder_id_matches"] is False


async def test_the_credential_holder_cannot_guess_the_id_number_offline(certificates: Certificates) -> None:
    """Attack: a grantee or verifier holding the credential takes the salt out of its digest and hashes
    candidate ID numbers (a small space: region, birth date, sequence) until one matches. Answer: the
    digest is keyed by the platform: the true number under the old PBKDF2 or any unkeyed hash with the
    salt does not reproduce it."""
    committed = _payload((await certificates.victims_license())["credential_jwt"])["credentialSubject"]["holder"][
        "id_digest"
    ]
    salt = base64.urlsafe_b64decode(committed["salt"] + "==")
    guess = VICTIM_ID.encode()
    attempts = {
        hashlib.pbkdf2_hmac("sha256", guess, salt, int(committed.get("iterations", 200_000))),
        hashlib.sha256(salt + guess).digest(),
        hashlib.sha256(guess + salt).digest(),
        hmac.new(salt, guess, hashlib.sha256).digest(),
    }
    assert committed["alg"] == "hmac-sha256" and set(committed) == {"alg", "salt", "digest"}
    assert committed["digest"] not in {base64.urlsafe_b64encode(a).decode().rstrip("=") for a in attempts}


async def test_the_platform_is_no_oracle_for_guessing_the_id_number(certificates: Certificates) -> None:
    """Attack: send ID-number guesses with the credential to the public verification, from ever new
    addresses, until ``holder_id_matches`` is true. Answer: 10 checks per license per hour, then 429
    problem+json with Retry-After, even for the right number."""
    token = (await certificates.victims_license())["credential_jwt"]
    answers = []
    for n in range(11):
        transport = httpx.ASGITransport(app=certificates.app, client=(f"198.51.100.{n}", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            guess = VICTIM_ID if n == 10 else f"1101051949123100{n:02d}"
            answers.append(await client.post("/v1/verify", json={"credential": token, "holder_id": guess}))
    assert [a.json()["holder_id_matches"] for a in answers[:10]] == [False] * 10
    assert answers[10].status_code == 429 and answers[10].headers["content-type"] == PROBLEM
    assert int(answers[10].headers["retry-after"]) > 0 and "holder_id_matches" not in answers[10].text


async def test_a_forged_credential_gets_the_verdict_alone(certificates: Certificates) -> None:
    """Attack: present a credential with made-up personal data (under a real key id with a bad signature,
    under an unknown issuer key, or malformed) to have the public verification repeat it under the
    platform's name. Answer: the verdict alone, no claim of the credential echoed."""
    real = (await certificates.victims_license())["credential_jwt"]
    head = json.loads(base64.urlsafe_b64decode(real.split(".")[0] + "=="))
    forged_claims = _payload(real)
    forged_claims["issuer"] = {"id": "https://gov.example/api/certificates/v1/issuers/FORGED", "name": "伪造市监局"}
    forged_claims["credentialSubject"] = {
        "holder": {"id_type": "citizen_id", "id_number": "440524188001010014", "name": "王伪造"},
        "license": {"identifier": "1.2.156.FORGED", "type_name": "伪造许可证", "fields": {"x": "伪造字段"}},
    }
    forged_claims["validUntil"] = "2099-12-31T23:59:59+08:00"
    attacker = ECKey.generate_key("P-256", private=True)
    body = json.dumps(forged_claims, ensure_ascii=False).encode()
    under_real_kid = jws.serialize_compact(head, body, attacker, algorithms=["ES256"])
    unknown_issuer = jws.serialize_compact({**head, "kid": "FORGED#1"}, body, attacker, algorithms=["ES256"])
    unsigned = f"{real.split('.')[0]}.{base64.urlsafe_b64encode(body).decode().rstrip('=')}.{real.split('.')[2]}"
    malformed = "eyJhbGciOiJFUzI1NiJ9." + base64.urlsafe_b64encode(body).decode().rstrip("=")

    for presented in (under_real_kid, unknown_issuer, unsigned, malformed):
        resp = await certificates.client.post("/v1/verify", json={"credential": presented, "holder_id": VICTIM_ID})
        assert resp.status_code == 200
        answer = resp.json()
        assert answer["result"] == "tampered"
        assert {k for k, v in answer.items() if v is not None} == {"result", "checked_at"}, answer
        for forged in ("伪造", "王", "440524188001010014", "FORGED", "2099"):
            assert forged not in resp.text


async def test_a_revoked_credential_gets_the_verdict_alone(certificates: Certificates) -> None:
    """Attack: present a revoked license to learn (or show off) what it said. Answer: ``revoked``, nothing
    more, by credential and by identifier alike."""
    lic = await certificates.victims_license()
    revoked = await certificates.client.post(
        f"/v1/licenses/{lic['id']}/revoke", json={"reason": "依法撤销"}, headers=certificates.staff("approver")
    )
    assert revoked.status_code == 200, revoked.text
    for resp in (
        await certificates.client.post("/v1/verify", json={"credential": lic["credential_jwt"]}),
        await certificates.client.get(f"/v1/verify/{lic['identifier']}"),
    ):
        assert {k for k, v in resp.json().items() if v is not None} == {"result", "checked_at"}
        assert resp.json()["result"] == "revoked" and "李" not in resp.text


# --- finding 10: an approver issues only the license of an approved case of theirs ------------------


async def test_an_approver_cannot_issue_any_license_to_anyone(certificates: Certificates) -> None:
    """Attack: an approver issues a license of a type and to a holder of their choosing (the old request:
    type code, holder's ID number and name, fields). Answer: 422, the request names an approved case and
    the holder is that case's applicant; nothing is issued."""
    attack = {
        "type_code": FOOD,
        "holder": {"id_type": "citizen_id", "id_number": VICTIM_ID, "name": VICTIM_NAME, "subject": "victim"},
        "fields": {"operator_name": "伪造小吃店"},
    }
    resp = await certificates.client.post(
        "/v1/licenses", json=attack, headers={**certificates.staff("approver"), "Idempotency-Key": "a1"}
    )
    assert resp.status_code == 422 and resp.headers["content-type"] == PROBLEM
    with_holder = {**attack, "case_id": await certificates.firms_case()}
    resp = await certificates.client.post(
        "/v1/licenses", json=with_holder, headers={**certificates.staff("approver"), "Idempotency-Key": "a2"}
    )
    assert resp.status_code == 422  # no holder may be named: it is the case's applicant
    assert await certificates.licenses() == []
    assert await certificates.outbox(LicenseIssued.type) == []


@pytest.mark.parametrize(
    ("who", "case", "type_code", "status", "problem"),
    [
        ("approver of the case's department", "firm", FOOD, 403, "certificates-not-the-case-license"),
        ("approver of another department", "firm", BIZ, 404, "certificates-case-not-found"),
        ("approver of the department in another city", "firm", BIZ, 404, "certificates-case-not-found"),
        ("reviewer of the case's department", "firm", BIZ, 404, "certificates-case-not-found"),
        ("approver of the case's department", "unknown", BIZ, 404, "certificates-case-not-found"),
    ],
)
async def test_issuing_is_bound_to_the_case(
    certificates: Certificates, who: str, case: str, type_code: str, status: int, problem: str
) -> None:
    """Attack: issue for a case the caller may not decide on (another department's or city's, a role that
    does not decide, a case never approved) or a type its item does not produce. Answer: 404 (the case is
    not theirs to know) or 403, and nothing is issued; the case's own approver then issues its license."""
    headers = {
        "approver of the case's department": certificates.staff("approver"),
        "approver of another department": certificates.staff("approver", department=OTHER_DEPT),
        "approver of the department in another city": certificates.staff("approver", region=LIUZHOU),
        "reviewer of the case's department": certificates.staff("reviewer"),
    }[who]
    case_id = await certificates.firms_case() if case == "firm" else str(uuid.uuid4())
    body = {"case_id": case_id, "type_code": type_code, "fields": {"entity_name": FIRM_NAME, "operator_name": "x1"}}
    resp = await certificates.client.post("/v1/licenses", json=body, headers={**headers, "Idempotency-Key": "i1"})
    assert resp.status_code == status and resp.json()["type"].endswith(problem), resp.text
    assert await certificates.licenses() == []

    if case == "firm":
        own = {"case_id": case_id, "type_code": BIZ, "fields": {"entity_name": FIRM_NAME}}
        ok = await certificates.client.post(
            "/v1/licenses", json=own, headers={**certificates.staff("approver"), "Idempotency-Key": "i2"}
        )
        assert ok.status_code == 201, ok.text
        assert (ok.json()["type_code"], ok.json()["holder_id_masked"], ok.json()["region"]) == (
            BIZ,
            "9145**********2B3J",
            NANNING,
        )


# --- finding 8: the license events name their region, never the holder -----------------------------


async def test_license_events_carry_the_region_and_no_holder_identity(certificates: Certificates) -> None:
    """Attack: a city platform subscribed to license events receives every license of the province, with
    the holder's data. Answer: each event names the issuing case's region (the exchange filters by it)
    and carries neither the holder's ID number nor their full name."""
    await certificates.victims_license()
    liuzhou = await certificates.firms_case(region=LIUZHOU, department=OTHER_DEPT)
    ok = await certificates.client.post(
        "/v1/licenses",
        json={"case_id": liuzhou, "type_code": BIZ, "fields": {"entity_name": FIRM_NAME}},
        headers={**certificates.staff("approver", department=OTHER_DEPT, region=LIUZHOU), "Idempotency-Key": "l1"},
    )
    assert ok.status_code == 201, ok.text
    revoked = await certificates.client.post(
        f"/v1/licenses/{ok.json()['id']}/revoke",
        json={"reason": "依法撤销"},
        headers=certificates.staff("approver", department=OTHER_DEPT, region=LIUZHOU),
    )
    assert revoked.status_code == 200, revoked.text

    issued = await certificates.outbox(LicenseIssued.type)
    assert sorted((e["region"], e["holder"]["name_masked"]) for e in issued) == [
        (NANNING, "李*英"),
        (LIUZHOU, "南宁示例**有限公司"),
    ]
    assert [e["region"] for e in await certificates.outbox(LicenseRevoked.type)] == [LIUZHOU]
    everything = json.dumps(issued + await certificates.outbox(LicenseRevoked.type), ensure_ascii=False)
    for secret in (VICTIM_ID, VICTIM_NAME, FIRM, FIRM_NAME):
        assert secret not in everything


# --- finding 7 (certificates): license:use was granted but checked nowhere --------------------------


async def test_sharing_a_license_needs_the_share_scope(certificates: Certificates) -> None:
    """Attack: an agent the representative let read the enterprise's licenses (certificates.licenses.read
    only) grants a third party their use; a client with ``openid profile`` only reads the wallet. Answer:
    403 insufficient_scope; no grant is made."""
    case_id = await certificates.firms_case()
    lic = await certificates.client.post(
        "/v1/licenses",
        json={"case_id": case_id, "type_code": BIZ, "fields": {"entity_name": FIRM_NAME}},
        headers={**certificates.staff("approver"), "Idempotency-Key": "s1"},
    )
    assert lic.status_code == 201, lic.text
    reader = certificates.issuer.headers(
        "agent-2", kind="enterprise", enterprise=FIRM, scopes=["certificates.licenses.read"]
    )
    grant = {
        "license_id": lic.json()["id"],
        "grantee_kind": "application",
        "grantee": "third-party-app",
        "purpose": "营销",
        "expires_at": "2099-01-01T00:00:00+08:00",
    }
    resp = await certificates.client.post("/v1/wallet/grants", json=grant, headers={**reader, "Idempotency-Key": "g"})
    assert resp.status_code == 403 and resp.headers["content-type"] == PROBLEM
    assert resp.json()["required_scope"] == "certificates.licenses.share"
    assert 'error="insufficient_scope"' in resp.headers["www-authenticate"]
    assert (await certificates.client.get("/v1/wallet/licenses", headers=reader)).status_code == 200

    profile_only = certificates.issuer.headers("victim", kind="citizen", scopes=["openid", "profile"])
    wallet = await certificates.client.get("/v1/wallet/licenses", headers=profile_only)
    assert wallet.status_code == 403 and wallet.json()["required_scope"] == "certificates.licenses.read"
    async with certificates.app.state.runtime.db.transaction() as session:
        assert list(await session.scalars(sa.select(Grant))) == []
