"""Issue 15, finding 3: anyone at level 2 became legal representative of any unregistered enterprise by its
credit code (with every enterprise scope), and the real representative was then locked out (409).

Attacks on identity's own rules, so identity runs in-process on PostgreSQL behind a gateway-like mount
(svc-identity's test fixtures) with the synthetic legal-person base (identity.basedata). Each test is one
attack and the platform's answer."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from identity_test_fixtures import ISSUER, REDIRECT, query, sign_in

from gov_standards.identifiers import credit_check_character
from identity.basedata import SYNTHETIC_LEGAL_PERSONS
from identity.models import AgentGrant, Enterprise, EnterpriseRegistration

pytestmark = pytest.mark.postgres

V1 = f"{ISSUER}/v1"
# RFC 7636 appendix B: a verifier and its S256 challenge.
VERIFIER, CHALLENGE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
# In the legal-person base: 南宁青秀示例贸易有限公司, represented by 陈七.
KNOWN = "91450103MA5R8K2L0D"
KNOWN_NAME = SYNTHETIC_LEGAL_PERSONS[KNOWN].name
# Not in the base (yet): a claim to it waits for staff.
UNKNOWN = "91450100MA5Q1W3E0" + credit_check_character("91450100MA5Q1W3E0")
REAL = ("chenqi", "450103199511115678", "13800000005", "陈七")
USURPER = ("zhaoliu", "450304197809094564", "13800000004", "赵六")
AGENT = ("wangwu", "450203199203043452", "13800000003", "王五")
PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def person(idp: Any, who: tuple[str, str, str, str], level: int = 3) -> tuple[uuid.UUID, dict[str, str]]:
    username, id_number, phone, name = who
    account = await idp.citizen(username, id_number=id_number, phone=phone, real_name=name, level=level)
    return account, bearer(await idp.token_for(account))


async def counts(idp: Any) -> tuple[int, int]:
    """Enterprises registered, agent grants live."""
    async with idp.db.transaction() as session:
        enterprises = await session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
        grants = await session.scalar(
            sa.select(sa.func.count()).select_from(AgentGrant).where(AgentGrant.revoked_at.is_(None))
        )
    return int(enterprises or 0), int(grants or 0)


def grant(username: str) -> dict[str, Any]:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    return {"agent_username": username, "scopes": ["application.applications.write"], "expires_at": expires}


async def enterprise_sign_in(idp: Any, username: str, credit_code: str, client_id: str | None = None) -> dict[str, str]:
    """Ask to act for ``credit_code`` at sign-in: the redirect's query (a code, or an error)."""
    if client_id is None:
        client_id, _ = await idp.client(scopes=("application.applications.write",))
    url = (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}"
        f"&scope=openid%20application.applications.write&state={secrets.token_hex(4)}"
        f"&code_challenge={CHALLENGE}&code_challenge_method=S256&enterprise={credit_code}"
    )
    async with idp.http() as browser:
        done = await sign_in(browser, url, username=username)
    assert done.status_code == 303, done.text
    return query(done.headers["location"])


async def test_a_usurper_cannot_register_an_enterprise_the_base_knows(idp: Any) -> None:
    """Attack: a verified citizen registers a real enterprise (right credit code and name) that the
    legal-person base says someone else represents. Answer: 422 legal-person-mismatch, nothing registered
    or pending; the real representative then registers it (201 verified), not locked out."""
    _, usurper = await person(idp, USURPER)
    real_id, real = await person(idp, REAL)
    async with idp.http() as http:
        stolen = await http.post(f"{V1}/enterprises", json={"name": KNOWN_NAME, "credit_code": KNOWN}, headers=usurper)
        assert await counts(idp) == (0, 0)
        async with idp.db.transaction() as session:
            assert await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseRegistration)) == 0
        own = await http.post(f"{V1}/enterprises", json={"name": KNOWN_NAME, "credit_code": KNOWN}, headers=real)
    assert stolen.status_code == 422 and stolen.headers["content-type"] == PROBLEM
    assert stolen.json()["type"].endswith(":legal-person-mismatch")
    assert own.status_code == 201 and own.json()["status"] == "verified", own.text
    async with idp.db.transaction() as session:
        enterprise = await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == KNOWN))
    assert enterprise is not None and enterprise.representative_id == real_id


async def test_knowing_the_representatives_name_and_id_number_is_not_enough(idp: Any) -> None:
    """Attack: register an account with the real representative's name and ID number (it passes the
    population check: level 2, knowledge only), then claim the enterprise, which the base matches. Answer:
    202 pending for staff, no enterprise, no enterprise sign-in; only an account verified in person (level 3)
    is registered on the base's word."""
    impostor = (REAL[0] + "x", REAL[1], "13900000077", REAL[3])
    _, token = await person(idp, impostor, level=2)
    async with idp.http() as http:
        claim = await http.post(f"{V1}/enterprises", json={"name": KNOWN_NAME, "credit_code": KNOWN}, headers=token)
    assert claim.status_code == 202 and claim.json()["status"] == "pending", claim.text
    assert await counts(idp) == (0, 0)
    assert (await enterprise_sign_in(idp, impostor[0], KNOWN)).get("error") == "access_denied"


async def test_an_unconfirmed_claim_stays_pending_gives_nothing_and_blocks_no_one(idp: Any) -> None:
    """Attack: a verified citizen registers an enterprise the base does not hold, then grants an agent and
    signs in to act for it; the real representative is then locked out (409). Answer: the claim is 202
    pending; no agent may be granted (404), no enterprise token (access_denied); the real representative's
    claim is pending too (202, not 409); staff of the region verify the real one, the usurper's is rejected."""
    usurper_id, usurper = await person(idp, USURPER)
    real_id, real = await person(idp, REAL)
    await person(idp, AGENT, level=1)
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    far_admin, _ = await idp.staff("lz-admin", roles=("staff_admin",), region="450200")
    body = {"name": "南宁未登记公司", "credit_code": UNKNOWN}
    async with idp.http() as http:
        claimed = await http.post(f"{V1}/enterprises", json=body, headers=usurper)
        agents = await http.post(f"{V1}/enterprises/{UNKNOWN}/agents", json=grant("wangwu"), headers=usurper)
        acting = await enterprise_sign_in(idp, "zhaoliu", UNKNOWN)
        own = await http.post(f"{V1}/enterprises", json=body, headers=real)
        far = await http.post(
            f"{V1}/enterprise-registrations/{own.json()['id']}/decision",
            json={"verified": True},
            headers=bearer(await idp.token_for(far_admin)),
        )
        by_citizen = await http.post(
            f"{V1}/enterprise-registrations/{claimed.json()['id']}/decision", json={"verified": True}, headers=usurper
        )
        pending = await http.get(f"{V1}/enterprise-registrations", headers=bearer(await idp.token_for(admin)))
        verified = await http.post(
            f"{V1}/enterprise-registrations/{own.json()['id']}/decision",
            json={"verified": True},
            headers=bearer(await idp.token_for(admin)),
        )
        mine = await http.get(f"{V1}/enterprises/registrations", headers=usurper)
    assert claimed.status_code == 202 and claimed.json()["status"] == "pending"
    assert agents.status_code == 404 and agents.json()["type"].endswith(":enterprise-not-found")
    assert acting.get("error") == "access_denied", acting
    assert own.status_code == 202, "the real representative is not locked out"
    assert far.status_code == 403 and far.json()["type"].endswith(":outside-region")
    assert by_citizen.status_code == 403, "a citizen's token has no staff scope"
    assert {r["applicant_id"] for r in pending.json()["items"]} == {str(usurper_id), str(real_id)}
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert [r["status"] for r in mine.json()["items"]] == ["rejected"]
    async with idp.db.transaction() as session:
        enterprise = await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == UNKNOWN))
    assert enterprise is not None and enterprise.representative_id == real_id
    assert (await enterprise_sign_in(idp, "zhaoliu", UNKNOWN)).get("error") == "access_denied"


async def test_a_dispute_gives_the_enterprise_back_and_ends_the_usurpers_grants(idp: Any) -> None:
    """Attack: a usurper got an enterprise registered (staff were misled) and granted an agent. Answer: the
    real representative files a dispute (recorded with the base's verdict, nothing changes yet); the
    usurper cannot decide it, nor can staff of another region; a staff admin of the region upholds it:
    the representative changes, the usurper's grants end and the usurper no longer manages agents."""
    usurper_id, usurper = await person(idp, USURPER)
    real_id, real = await person(idp, REAL)
    await person(idp, AGENT, level=1)
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    far_admin, _ = await idp.staff("lz-admin", roles=("staff_admin",), region="450200")
    async with idp.db.transaction() as session:  # registered by mistake, before the base held it
        session.add(Enterprise(name=KNOWN_NAME, credit_code=KNOWN, representative_id=usurper_id))
    async with idp.http() as http:
        granted = await http.post(f"{V1}/enterprises/{KNOWN}/agents", json=grant("wangwu"), headers=usurper)
        assert granted.status_code == 201, granted.text
        locked_out = await http.post(f"{V1}/enterprises", json={"name": KNOWN_NAME, "credit_code": KNOWN}, headers=real)
        dispute = await http.post(
            f"{V1}/enterprises/{KNOWN}/disputes", json={"reason": "我是法定代表人，见营业执照"}, headers=real
        )
        unchanged = await counts(idp)
        by_usurper = await http.post(
            f"{V1}/enterprise-disputes/{dispute.json()['id']}/decision", json={"upheld": False}, headers=usurper
        )
        far = await http.post(
            f"{V1}/enterprise-disputes/{dispute.json()['id']}/decision",
            json={"upheld": False},
            headers=bearer(await idp.token_for(far_admin)),
        )
        listed = await http.get(f"{V1}/enterprise-disputes", headers=bearer(await idp.token_for(admin)))
        upheld = await http.post(
            f"{V1}/enterprise-disputes/{dispute.json()['id']}/decision",
            json={"upheld": True},
            headers=bearer(await idp.token_for(admin)),
        )
        usurper_agents = await http.get(f"{V1}/enterprises/{KNOWN}/agents", headers=usurper)
        real_agents = await http.get(f"{V1}/enterprises/{KNOWN}/agents", headers=real)
    assert locked_out.status_code == 409 and locked_out.json()["dispute"] == f"/v1/enterprises/{KNOWN}/disputes"
    assert dispute.status_code == 201 and dispute.json()["status"] == "open"
    assert dispute.json()["base_check"] == "match"
    assert unchanged == (1, 1), "a dispute alone changes nothing"
    assert by_usurper.status_code == 403 and far.status_code == 403
    assert [d["id"] for d in listed.json()["items"]] == [dispute.json()["id"]]
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
    assert usurper_agents.status_code == 403 and usurper_agents.json()["type"].endswith(":not-representative")
    assert real_agents.status_code == 200 and all(g["revoked_at"] for g in real_agents.json()["items"])
    assert await counts(idp) == (1, 0)
    async with idp.db.transaction() as session:
        enterprise = await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == KNOWN))
    assert enterprise is not None and enterprise.representative_id == real_id
    assert (await enterprise_sign_in(idp, "wangwu", KNOWN)).get("error") == "access_denied"


async def test_enterprise_operations_need_their_scope(idp: Any) -> None:
    """Attack: a token without identity.enterprises.write (e.g. a third-party ``openid`` token) registers an
    enterprise. Answer: 403 insufficient_scope; nothing registered."""
    real_id, _ = await person(idp, REAL)
    narrow = bearer(await idp.token_for(real_id, scope="openid"))
    async with idp.http() as http:
        answer = await http.post(f"{V1}/enterprises", json={"name": KNOWN_NAME, "credit_code": KNOWN}, headers=narrow)
    assert answer.status_code == 403 and answer.json()["type"].endswith(":insufficient-scope")
    assert await counts(idp) == (0, 0)


async def test_an_agent_whose_grant_is_revoked_loses_the_tokens_in_hand(idp: Any) -> None:
    """Attack: an agent whose grant the representative revokes keeps using the enterprise access token
    already issued (ten minutes). Answer: the agent's sign-in sessions end, so their ids are on the
    revocation list every service and the gateway poll, and identity itself refuses the token at once."""
    _, real = await person(idp, REAL)
    await person(idp, AGENT, level=1)
    client_id, _ = await idp.client(scopes=("application.applications.write",))
    async with idp.http() as http:
        assert (
            await http.post(f"{V1}/enterprises", json={"name": KNOWN_NAME, "credit_code": KNOWN}, headers=real)
        ).status_code == 201
        granted = await http.post(f"{V1}/enterprises/{KNOWN}/agents", json=grant("wangwu"), headers=real)
        assert granted.status_code == 201, granted.text
        code = (await enterprise_sign_in(idp, "wangwu", KNOWN, client_id=client_id))["code"]
        tokens = await http.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": VERIFIER,
            },
        )
        agent_token = tokens.json()["access_token"]
        sid = jwt_claims(agent_token)["sid"]
        before = (await http.get(f"{V1}/revocations")).json()["sids"]
        revoked = await http.delete(f"{V1}/enterprises/{KNOWN}/agents/{granted.json()['id']}", headers=real)
        after = (await http.get(f"{V1}/revocations")).json()["sids"]
        userinfo = await http.get(f"{ISSUER}/userinfo", headers=bearer(agent_token))
    assert jwt_claims(agent_token)["enterprise"] == KNOWN
    assert sid not in before and revoked.status_code == 204
    assert sid in after
    assert userinfo.status_code == 401


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a token identity issued (read, not verified: identity's own tests verify)."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
