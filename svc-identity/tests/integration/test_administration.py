"""Region-scoped staff administration, OAuth client registration, and enterprise agents who cannot
exceed the scopes the representative granted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from identity.demo import ENTERPRISE_CODE
from identity.models import Account, AuditEvent, Department, Enterprise, OAuthClient

from ..conftest import ISSUER, REDIRECT, Idp, query, sign_in

pytestmark = pytest.mark.postgres

V1 = "/api/identity/v1"
TOKEN_URL = f"{ISSUER}/token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_region_admin_is_refused_outside_their_subtree(idp: Idp) -> None:
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    token = await idp.token_for(admin)
    inside = await idp.department("450100", "南宁市行政审批局")
    outside = await idp.department("450200", "柳州市行政审批局")
    liuzhou_staff, _ = await idp.staff("lz-acceptor", roles=("acceptor",), region="450200")
    new = {"real_name": "新员工", "roles": ["acceptor", "reviewer"]}
    async with idp.http() as http:
        created = await http.post(
            f"{V1}/staff",
            json={**new, "username": "nn-new", "region": "450100", "department_id": str(inside)},
            headers=bearer(token),
        )
        refused = await http.post(
            f"{V1}/staff",
            json={**new, "username": "lz-new", "region": "450200", "department_id": str(outside)},
            headers=bearer(token),
        )
        regrant = await http.put(
            f"{V1}/staff/{liuzhou_staff}/roles", json={"roles": ["approver"]}, headers=bearer(token)
        )
        privileged = await http.post(
            f"{V1}/staff",
            json={
                **new,
                "roles": ["platform_admin"],
                "username": "nn-boss",
                "region": "450100",
                "department_id": str(inside),
            },
            headers=bearer(token),
        )
        dept_refused = await http.post(
            f"{V1}/departments",
            json={"name": "x", "code": "11450300MB0000004C", "region": "450300"},
            headers=bearer(token),
        )
        listed = await http.get(f"{V1}/staff", headers=bearer(token))
        citizen = await http.post(
            f"{V1}/staff",
            json={**new, "username": "nn-x", "region": "450100", "department_id": str(inside)},
            headers=bearer(
                await idp.token_for(await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002"))
            ),
        )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["roles"] == ["acceptor", "reviewer"] and body["totp_provisioning_uri"].startswith("otpauth://totp/")
    assert refused.status_code == 403 and refused.json()["type"].endswith(":outside-region")
    assert regrant.status_code == 403 and regrant.json()["type"].endswith(":outside-region")
    assert privileged.status_code == 403 and privileged.json()["type"].endswith(":role-not-grantable")
    assert dept_refused.status_code == 403
    assert {s["region"] for s in listed.json()["items"]} == {"450100"}, "only their own subtree is visible"
    assert citizen.status_code == 403
    async with idp.db.transaction() as session:
        names = set((await session.scalars(sa.select(Account.username))).all())
        audit = (await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "staff.created"))).all()
    assert "lz-new" not in names and "nn-boss" not in names, "a refusal changes nothing"
    assert any(a.details.get("roles") == ["acceptor", "reviewer"] and a.actor == str(admin) for a in audit)


async def test_role_changes_are_audited(idp: Idp) -> None:
    admin, _ = await idp.staff("gx-admin", roles=("staff_admin",), region="450000")
    staff, _ = await idp.staff("nn-acceptor", roles=("acceptor",), region="450100")
    async with idp.http() as http:
        resp = await http.put(
            f"{V1}/staff/{staff}/roles",
            json={"roles": ["acceptor", "supervisor"]},
            headers=bearer(await idp.token_for(admin)),
        )
        unknown = await http.put(
            f"{V1}/staff/{staff}/roles", json={"roles": ["emperor"]}, headers=bearer(await idp.token_for(admin))
        )
    assert resp.status_code == 200 and resp.json()["roles"] == ["acceptor", "supervisor"]
    assert unknown.status_code == 422 and unknown.json()["type"].endswith(":unknown-role")
    async with idp.db.transaction() as session:
        row = await session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "staff.roles_changed"))
    assert row is not None and row.details == {"before": ["acceptor"], "after": ["acceptor", "supervisor"]}


async def test_platform_admin_registers_clients(idp: Idp) -> None:
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    staff_admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    spec = {
        "name": "柳州市平台",
        "auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "scopes": ["application.applications.read"],
        "region": "450200",
    }
    async with idp.http() as http:
        created = await http.post(f"{V1}/clients", json=spec, headers=bearer(await idp.token_for(admin)))
        refused = await http.post(f"{V1}/clients", json=spec, headers=bearer(await idp.token_for(staff_admin)))
        bad = await http.post(
            f"{V1}/clients", json={**spec, "scopes": ["root"]}, headers=bearer(await idp.token_for(admin))
        )
        typo = await http.post(
            f"{V1}/clients",
            json={**spec, "scopes": ["paymnet.orders.write"]},
            headers=bearer(await idp.token_for(admin)),
        )
        services = await http.post(
            f"{V1}/clients",
            json={**spec, "scopes": ["payment.orders.write", "identity.holder.read", "evaluation.ratings.relay"]},
            headers=bearer(await idp.token_for(admin)),
        )
        body = created.json()
        token = await http.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials"},
            auth=(body["client_id"], body["client_secret"]),
        )
        widened = await http.put(
            f"{V1}/clients/{body['client_id']}/scopes",
            json={"scopes": ["application.applications.read", "application.applications.write"]},
            headers=bearer(await idp.token_for(admin)),
        )
        not_admin = await http.put(
            f"{V1}/clients/{body['client_id']}/scopes",
            json={"scopes": []},
            headers=bearer(await idp.token_for(staff_admin)),
        )
        wider = await http.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials", "scope": "application.applications.write"},
            auth=(body["client_id"], body["client_secret"]),
        )
    assert typo.status_code == 422 and "paymnet.orders.write" in typo.json()["detail"]
    assert services.status_code == 201, "the scopes other services honour can be granted"
    assert widened.status_code == 200 and not_admin.status_code == 403
    assert wider.status_code == 200
    async with idp.db.transaction() as session:
        change = await session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.scopes_changed"))
    assert change is not None and change.details["after"] == [
        "application.applications.read",
        "application.applications.write",
    ]
    assert created.status_code == 201 and body["client_secret"]
    assert refused.status_code == 403
    assert bad.status_code == 422 and bad.json()["type"].endswith(":invalid-client-metadata")
    assert token.status_code == 200 and token.json()["scope"] == "application.applications.read"


async def test_a_department_system_is_registered_for_its_department_and_its_tokens_name_it(idp: Idp) -> None:
    """A client-credentials client bound to a department (its region in the department's) gets tokens with
    `department`; a department elsewhere, no region, an unknown department or a sign-in client is refused."""
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    async with idp.db.transaction() as session:
        department = await session.get(Department, await idp.department("450100", name="市场监督管理局"))
        assert department is not None and department.code is not None
        code = department.code
        province = await session.get(Department, await idp.department("450000", name="自治区市场监督管理局"))
        assert province is not None and province.code is not None
    spec = {
        "name": "登记系统",
        "auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "scopes": ["certificates.licenses.import"],
        "region": "450100",
        "department_code": code,
    }
    async with idp.http() as http:
        headers = bearer(await idp.token_for(admin))
        created = await http.post(f"{V1}/clients", json=spec, headers=headers)
        below = await http.post(f"{V1}/clients", json={**spec, "department_code": province.code}, headers=headers)
        elsewhere = await http.post(f"{V1}/clients", json={**spec, "region": "450200"}, headers=headers)
        no_region = await http.post(f"{V1}/clients", json={**spec, "region": None}, headers=headers)
        unknown = await http.post(
            f"{V1}/clients", json={**spec, "department_code": "11450100MB0000000X"}, headers=headers
        )
        sign_in_client = await http.post(
            f"{V1}/clients",
            json={**spec, "grant_types": ["authorization_code", "client_credentials"], "redirect_uris": [REDIRECT]},
            headers=headers,
        )
        body = created.json()
        token = await http.post(
            f"{ISSUER}/token",
            data={"grant_type": "client_credentials", "scope": "certificates.licenses.import"},
            auth=(body["client_id"], body["client_secret"]),
        )
        keys = (await http.get(f"{ISSUER}/.well-known/jwks.json")).json()
    assert created.status_code == 201, created.text
    assert body["department_code"] == code and body["region"] == "450100"
    assert below.status_code == 201, "a city's system of the province's department"
    for refused in (elsewhere, no_region, sign_in_client):
        assert refused.status_code == 422 and refused.json()["type"].endswith(":invalid-client-metadata")
    assert unknown.status_code == 404 and unknown.json()["type"].endswith(":department-not-found")
    assert token.status_code == 200, token.text
    claims = jwt.decode(token.json()["access_token"], KeySet.import_key_set(keys)).claims
    assert claims["kind"] == "system" and claims["department"] == code and claims["region"] == "450100"
    async with idp.db.transaction() as session:
        bound = await session.scalar(
            sa.select(sa.func.count()).select_from(OAuthClient).where(OAuthClient.department_code == code)
        )
        audited = await session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "client.created", AuditEvent.target == body["client_id"])
        )
    assert bound == 1, "the refused registrations stored nothing"
    assert audited is not None and audited.details["department"] == code


async def test_a_system_token_without_a_department_names_none(idp: Idp) -> None:
    """A platform system's token carries no `department` claim (only department systems speak for one)."""
    client_id, secret = await idp.client(
        auth_method="client_secret_basic", grant_types=("client_credentials",), scopes=("exchange.catalog.read",)
    )
    async with idp.http() as http:
        token = await http.post(TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(client_id, secret or ""))
        keys = (await http.get(f"{ISSUER}/.well-known/jwks.json")).json()
    assert token.status_code == 200, token.text
    claims = jwt.decode(token.json()["access_token"], KeySet.import_key_set(keys)).claims
    assert claims["kind"] == "system" and "department" not in claims


async def enterprise_with_agent(idp: Idp, scopes: list[str]) -> tuple[uuid.UUID, uuid.UUID]:
    rep = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002", real_name="李四", level=3)
    agent = await idp.citizen("wangwu", id_number="450203199203043452", phone="13800000003", level=1)
    rep_token = await idp.token_for(rep)
    async with idp.http() as http:
        made = await http.post(
            f"{V1}/enterprises",
            json={"name": "广西示例科技有限公司", "credit_code": ENTERPRISE_CODE},
            headers=bearer(rep_token),
        )
        assert made.status_code == 201, made.text
        granted = await http.post(
            f"{V1}/enterprises/{ENTERPRISE_CODE}/agents",
            json={
                "agent_username": "wangwu",
                "scopes": scopes,
                "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
            headers=bearer(rep_token),
        )
        assert granted.status_code == 201, granted.text
    return rep, agent


def enterprise_authorize(client_id: str, scope: str, enterprise: str = ENTERPRISE_CODE) -> str:
    return (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope={scope.replace(' ', '%20')}"
        f"&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&enterprise={enterprise}"
    )


async def test_an_agent_cannot_exceed_the_scopes_granted(idp: Idp) -> None:
    _rep, agent = await enterprise_with_agent(idp, ["application.applications.write"])
    client_id, _ = await idp.client(scopes=("application.applications.write", "payment.orders.pay"))
    async with idp.http() as browser:
        too_much = await sign_in(
            browser,
            enterprise_authorize(client_id, "openid application.applications.write payment.orders.pay"),
            username="wangwu",
        )
    assert too_much.status_code == 303
    assert query(too_much.headers["location"])["error"] == "invalid_scope"
    async with idp.http() as browser:
        within = await sign_in(
            browser, enterprise_authorize(client_id, "openid application.applications.write"), username="wangwu"
        )
    code = query(within.headers["location"])["code"]
    async with idp.http() as http:
        token = await http.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            },
        )
        jwks = KeySet.import_key_set((await http.get(f"{ISSUER}/.well-known/jwks.json")).json())
    claims = jwt.decode(token.json()["access_token"], jwks).claims
    assert claims["sub"] == str(agent) and claims["enterprise"] == ENTERPRISE_CODE, "both the agent and the enterprise"
    assert claims["kind"] == "enterprise" and claims["scope"] == "openid application.applications.write"

    async with idp.http() as browser:  # someone the representative never authorised
        await idp.citizen("zhaoliu", id_number="450304197809094564", phone="13800000004")
        stranger = await sign_in(
            browser, enterprise_authorize(client_id, "openid application.applications.write"), username="zhaoliu"
        )
    assert query(stranger.headers["location"])["error"] == "access_denied"


async def test_an_enterprise_registration_replays_with_its_key(idp: Idp) -> None:
    rep = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002", real_name="李四", level=3)
    headers = {**bearer(await idp.token_for(rep)), "Idempotency-Key": "reg-1"}
    body = {"name": "广西示例科技有限公司", "credit_code": ENTERPRISE_CODE}
    async with idp.http() as http:
        made = await http.post(f"{V1}/enterprises", json=body, headers=headers)
        again = await http.post(f"{V1}/enterprises", json=body, headers=headers)
        other = await http.post(f"{V1}/enterprises", json={**body, "name": "广西别的公司"}, headers=headers)
        long_key = await http.post(f"{V1}/enterprises", json=body, headers={**headers, "Idempotency-Key": "k" * 150})
    assert made.status_code == 201 and "Idempotent-Replayed" not in made.headers, made.text
    assert again.status_code == 201 and again.json() == made.json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == made.headers["Location"]
    assert other.status_code == 409 and other.json()["type"].endswith(":idempotency-key-reused")
    # keys of up to 200 characters, as everywhere (identity's own mechanism stopped at 100)
    assert long_key.status_code == 409 and long_key.json()["type"].endswith(":enterprise-exists"), long_key.text
    async with idp.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 1


async def test_only_the_representative_manages_agents_and_grants_known_scopes(idp: Idp) -> None:
    rep, agent = await enterprise_with_agent(idp, ["application.applications.read"])
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    async with idp.http() as http:
        by_agent = await http.post(
            f"{V1}/enterprises/{ENTERPRISE_CODE}/agents",
            json={"agent_username": "wangwu", "scopes": ["payment.orders.pay"], "expires_at": expires},
            headers=bearer(await idp.token_for(agent)),
        )
        unknown = await http.post(
            f"{V1}/enterprises/{ENTERPRISE_CODE}/agents",
            json={"agent_username": "wangwu", "scopes": ["everything"], "expires_at": expires},
            headers=bearer(await idp.token_for(rep)),
        )
        listed = await http.get(f"{V1}/enterprises/{ENTERPRISE_CODE}/agents", headers=bearer(await idp.token_for(rep)))
        low = await http.post(
            f"{V1}/enterprises",
            json={"name": "x", "credit_code": "91350100M000100Y43"},
            headers=bearer(await idp.token_for(agent)),
        )
        bad_code = await http.post(
            f"{V1}/enterprises",
            json={"name": "x", "credit_code": "91350100M000100Y44"},
            headers=bearer(await idp.token_for(rep)),
        )
    assert by_agent.status_code == 403 and by_agent.json()["type"].endswith(":not-representative")
    assert unknown.status_code == 422 and unknown.json()["type"].endswith(":unknown-scope")
    assert [g["scopes"] for g in listed.json()["items"]] == [["application.applications.read"]]
    assert low.status_code == 403 and low.json()["type"].endswith(":assurance-too-low")
    assert bad_code.status_code == 422 and bad_code.json()["reason"] == "bad-check-character"
    async with idp.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 1


async def test_agent_refresh_stops_when_the_grant_is_withdrawn(idp: Idp) -> None:
    rep, _ = await enterprise_with_agent(idp, ["application.applications.write"])
    client_id, _ = await idp.client(scopes=("application.applications.write",))
    async with idp.http() as browser:
        done = await sign_in(
            browser, enterprise_authorize(client_id, "openid application.applications.write"), username="wangwu"
        )
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    async with idp.http() as http:
        token = (
            await http.post(
                f"{ISSUER}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": query(done.headers["location"])["code"],
                    "redirect_uri": REDIRECT,
                    "client_id": client_id,
                    "code_verifier": verifier,
                },
            )
        ).json()
        grants = (
            await http.get(f"{V1}/enterprises/{ENTERPRISE_CODE}/agents", headers=bearer(await idp.token_for(rep)))
        ).json()["items"]
        withdrawn = await http.delete(
            f"{V1}/enterprises/{ENTERPRISE_CODE}/agents/{grants[0]['id']}", headers=bearer(await idp.token_for(rep))
        )
        refreshed = await http.post(
            f"{ISSUER}/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": client_id},
        )
    assert withdrawn.status_code == 204
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


async def test_regions_and_departments(idp: Idp) -> None:
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    nn_admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    async with idp.http() as http:
        county = await http.post(
            f"{V1}/regions", json={"code": "450102", "name": "兴宁区"}, headers=bearer(await idp.token_for(admin))
        )
        orphan = await http.post(
            f"{V1}/regions", json={"code": "440102", "name": "越秀区"}, headers=bearer(await idp.token_for(admin))
        )
        by_staff_admin = await http.post(
            f"{V1}/regions", json={"code": "450103", "name": "青秀区"}, headers=bearer(await idp.token_for(nn_admin))
        )
        regions = await http.get(f"{V1}/regions", headers=bearer(await idp.token_for(nn_admin)))
        dept = await http.post(
            f"{V1}/departments",
            json={"name": "兴宁区行政审批局", "code": "11450102MB0000001M", "region": "450102"},
            headers=bearer(await idp.token_for(nn_admin)),
        )
        child = await http.post(
            f"{V1}/departments",
            json={"name": "受理科", "code": "11450102MB0000002Q", "region": "450102", "parent_id": dept.json()["id"]},
            headers=bearer(await idp.token_for(nn_admin)),
        )
        listed = await http.get(
            f"{V1}/departments?region=450100&limit=1", headers=bearer(await idp.token_for(nn_admin))
        )
        anonymous = await http.get(f"{V1}/regions")
    assert county.status_code == 201 and county.json()["parent"] == "450100"
    assert orphan.status_code == 404 and orphan.json()["type"].endswith(":region-not-found")
    assert by_staff_admin.status_code == 403
    assert len(regions.json()["items"]) == 16 and regions.json()["items"][0] == {
        "code": "450000",
        "name": "广西壮族自治区",
        "parent": None,
    }
    assert dept.status_code == 201 and child.status_code == 201 and child.json()["parent_id"] == dept.json()["id"]
    assert dept.headers["Location"] == f"/v1/departments/{dept.json()['id']}"
    assert len(listed.json()["items"]) == 1 and listed.json()["next_cursor"], "the subtree holds more: paginated"
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"


async def test_an_admin_reads_one_staff_member_of_their_subtree_only(idp: Idp) -> None:
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    mine, _ = await idp.staff("nn-acceptor", roles=("acceptor",), region="450100")
    liuzhou, _ = await idp.staff("lz-acceptor", roles=("acceptor",), region="450200")
    citizen = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    token = bearer(await idp.token_for(admin))
    async with idp.http() as http:
        read = await http.get(f"{V1}/staff/{mine}", headers=token)
        other_region = await http.get(f"{V1}/staff/{liuzhou}", headers=token)
        not_staff = await http.get(f"{V1}/staff/{citizen}", headers=token)
        forged = await http.get(f"{V1}/staff/{uuid.uuid4()}", headers=token)
        by_staff = await http.get(f"{V1}/staff/{admin}", headers=bearer(await idp.token_for(mine)))
    assert read.status_code == 200 and read.json()["username"] == "nn-acceptor"
    assert read.json()["roles"] == ["acceptor"] and read.json()["totp_enrolled"] is True
    for refused in (other_region, not_staff, forged):
        assert refused.status_code == 404 and refused.json()["type"].endswith(":account-not-found"), refused.text
    assert by_staff.status_code == 403, "an acceptor is no staff admin"
