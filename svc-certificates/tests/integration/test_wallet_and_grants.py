"""The holder's wallet, grants of use and the use log: third parties without a grant get 404, every use
is in the holder's log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..conftest import DEPT, FOOD, OTHER_DEPT, PERSON, Api


async def test_grants_control_third_party_reads_and_every_use_is_logged(api: Api) -> None:
    lic = await api.issue(type_code=FOOD)
    lid = lic["id"]
    mine = await api.client.get("/v1/wallet/licenses", params={"type": "食品经营许可证"}, headers=api.enterprise())
    assert [x["id"] for x in mine.json()["items"]] == [lid]
    other_firm = api.enterprise(subject="agent-2")
    assert (
        await api.client.get(f"/v1/licenses/{lid}", headers=other_firm)
    ).status_code == 200  # same firm, other agent

    stranger_staff = api.staff("reviewer", department=OTHER_DEPT, subject="staff-9")
    app_token = api.issuer.headers(
        "svc-application", kind="system", client_id="svc-application", scopes=["certificates.licenses.read"]
    )
    citizen = api.citizen("someone-else")
    for headers in (stranger_staff, app_token, citizen):
        resp = await api.client.get(f"/v1/licenses/{lid}", headers=headers)
        assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"

    expires = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    grant = await api.client.post(
        "/v1/wallet/grants",
        json={
            "license_id": lid,
            "grantee_kind": "department",
            "grantee": OTHER_DEPT,
            "purpose": "分店登记",
            "expires_at": expires,
        },
        headers={**api.enterprise(), "Idempotency-Key": "g1"},
    )
    assert grant.status_code == 201, grant.text
    # The enterprise's key, whichever agent sends it again: the same grant; with another body, 409.
    g1 = {"license_id": lid, "grantee_kind": "department", "grantee": OTHER_DEPT, "purpose": "分店登记"}
    resent = {**api.enterprise(subject="agent-2"), "Idempotency-Key": "g1"}
    replay = await api.client.post("/v1/wallet/grants", json={**g1, "expires_at": expires}, headers=resent)
    assert replay.status_code == 201 and replay.json() == grant.json(), replay.text
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.headers["Location"] == grant.headers["Location"]
    other = {**g1, "purpose": "别的用途", "expires_at": expires}
    reused = await api.client.post("/v1/wallet/grants", json=other, headers=resent)
    assert reused.status_code == 409 and reused.json()["type"].endswith(":idempotency-key-reused")
    app_grant = await api.client.post(
        "/v1/wallet/grants",
        json={
            "license_id": lid,
            "grantee_kind": "application",
            "grantee": "svc-application",
            "purpose": "免提交",
            "expires_at": expires,
        },
        headers={**api.enterprise(), "Idempotency-Key": "g2"},
    )
    assert app_grant.status_code == 201
    not_mine = await api.client.post(
        "/v1/wallet/grants",
        json={
            "license_id": lid,
            "grantee_kind": "department",
            "grantee": OTHER_DEPT,
            "purpose": "x1",
            "expires_at": expires,
        },
        headers={**citizen, "Idempotency-Key": "g3"},
    )
    assert not_mine.status_code == 404

    read = await api.client.get(f"/v1/licenses/{lid}", params={"purpose": "核对分店"}, headers=stranger_staff)
    assert read.status_code == 200 and read.json()["fields"]["operator_name"] == "南宁示例餐饮店"
    assert (await api.client.get(f"/v1/licenses/{lid}", headers=app_token)).status_code == 200
    assert (await api.client.get(f"/v1/licenses/{lid}", headers=api.staff("approver"))).status_code == 200  # issuer

    uses = (await api.client.get("/v1/wallet/uses", headers=api.enterprise())).json()["items"]
    got = {(u["user_subject"], u["basis"], u["purpose"]) for u in uses}
    assert got == {
        ("staff-9", "grant", "核对分店"),
        ("svc-application", "grant", "免提交"),
        ("staff-1", "issuer", "case handling"),
    }
    assert all(u["license_id"] == lid and u["used_at"] for u in uses)
    assert (await api.client.get("/v1/wallet/uses", headers=citizen)).json()["items"] == []

    revoked = await api.client.delete(f"/v1/wallet/grants/{grant.json()['id']}", headers=api.enterprise())
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await api.client.get(f"/v1/licenses/{lid}", headers=stranger_staff)).status_code == 404
    assert (await api.client.delete(f"/v1/wallet/grants/{app_grant.json()['id']}", headers=citizen)).status_code == 404
    assert len((await api.client.get("/v1/wallet/uses", headers=api.enterprise())).json()["items"]) == 3


async def test_wallet_is_for_holders_and_lists_a_citizens_own_licenses(api: Api) -> None:
    await api.issue(key="c1", applicant=PERSON)
    await api.issue(key="e1")
    mine = await api.client.get("/v1/wallet/licenses", headers=api.citizen())
    assert [x["holder_name"] for x in mine.json()["items"]] == ["李四"]
    assert mine.json()["items"][0]["holder_id_masked"] == "1101**********002X"
    assert (await api.client.get("/v1/wallet/licenses", headers=api.staff("approver"))).status_code == 403
    assert (await api.client.get("/v1/wallet/licenses")).status_code == 401
    page = await api.client.get("/v1/wallet/licenses", params={"limit": 1}, headers=api.enterprise())
    assert len(page.json()["items"]) == 1 and page.json()["next_cursor"] is None
    bad = await api.client.get("/v1/wallet/licenses", params={"cursor": "nope"}, headers=api.enterprise())
    assert bad.status_code == 400
    past = await api.client.post(
        "/v1/wallet/grants",
        json={
            "license_id": mine.json()["items"][0]["id"],
            "grantee_kind": "department",
            "grantee": DEPT,
            "purpose": "x1",
            "expires_at": "2020-01-01T00:00:00+08:00",
        },
        headers={**api.citizen(), "Idempotency-Key": "p"},
    )
    assert past.status_code == 422


async def test_an_agent_without_license_read_is_refused_the_enterprise_licenses(api: Api) -> None:
    """The representative decides what an agent may do (identity's agent grants): application scopes alone
    do not open the enterprise's wallet."""
    lid = (await api.issue(type_code=FOOD))["id"]
    applying_only = api.enterprise(
        subject="agent-3", scopes=["application.applications.read", "application.applications.write"]
    )
    wallet = await api.client.get("/v1/wallet/licenses", headers=applying_only)
    assert wallet.status_code == 403 and wallet.headers["content-type"] == "application/problem+json"
    assert wallet.json()["required_scope"] == "certificates.licenses.read"
    assert (await api.client.get(f"/v1/licenses/{lid}", headers=applying_only)).status_code == 403
    assert (await api.client.get(f"/v1/licenses/{lid}", headers=api.enterprise(subject="agent-3"))).status_code == 200
