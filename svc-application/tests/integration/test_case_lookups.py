"""A case looked up for the person a hall kiosk checked (POST /v1/case-lookups): the hall service (a platform
system with application.cases.lookup) gets the public status only when the checked ID number is the
applicant's, as identity's holder API says (a stand-in identity over HTTP here); anything else is one 404."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request

from application.case_lookups.holders import HolderSettings, IdentityHolders

from ..conftest import ID_NUMBER

OTHER_ID = "450102199001011231"
SCOPE = ("application.cases.lookup",)


def identity_stub(holders: dict[str, str], calls: list[str]) -> FastAPI:
    """identity's /token (client credentials of svc-application) and /v1/accounts/{subject}/holder."""
    stub = FastAPI()

    @stub.post("/token")
    async def token(request: Request) -> dict[str, Any]:
        form = await request.form()
        basic = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
        if basic != "svc-application:s3cret" or form["scope"] != "identity.holder.read":
            raise HTTPException(401)
        return {"access_token": "holder-token", "expires_in": 300}

    @stub.get("/v1/accounts/{subject}/holder")
    async def holder(subject: str, request: Request) -> dict[str, str]:
        assert request.headers["authorization"] == "Bearer holder-token"
        calls.append(subject)
        if subject not in holders:
            raise HTTPException(404)
        return {"id_type": "citizen_id", "id_number": holders[subject], "name": "张三"}

    return stub


def install_identity(svc, holders: dict[str, str]) -> list[str]:
    calls: list[str] = []
    settings = HolderSettings(identity_url="http://identity", identity_client_secret="s3cret")
    transport = httpx.ASGITransport(app=identity_stub(holders, calls))
    svc.app.state.case_lookup_holders = IdentityHolders(settings, transport=transport)
    return calls


async def submitted(svc, subject: str) -> str:
    citizen = svc.citizen(subject)
    draft = await svc.complete_draft(citizen, svc.items[0])
    resp = await svc.submit(draft["id"], citizen)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["tracking_number"])


async def test_the_applicant_in_front_of_the_kiosk_gets_the_public_status(svc) -> None:
    calls = install_identity(svc, {"citizen-1": ID_NUMBER, "citizen-2": OTHER_ID})
    mine, theirs = await submitted(svc, "citizen-1"), await submitted(svc, "citizen-2")
    hall = svc.system("svc-hall", SCOPE)

    async def look_up(number: str, id_number: str, headers: dict[str, str] = hall) -> httpx.Response:
        return await svc.client.post(
            "/v1/case-lookups", json={"tracking_number": number, "id_number": id_number}, headers=headers
        )

    ok = await look_up(mine, ID_NUMBER)
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["tracking_number"] == mine and body["status"] == "submitted" and body["item_name"] == "食品经营许可"
    assert not {"applicant", "form", "materials", "id", "query_code"} & set(body)
    # the case's id at workflow (null until accepted): what the hall's kiosk prints the case's licence by
    assert "case_id" in body and body["case_id"] is None
    assert ID_NUMBER not in ok.text and "张" not in ok.text and "citizen-1" not in ok.text
    assert calls == ["citizen-1"]

    # Another person's case: the kept last four differ (identity is not even asked) ...
    other_person = await look_up(mine, OTHER_ID)
    # ... or match (citizen-2 applied giving citizen-1's number), and identity's number of the account differs.
    same_tail = await look_up(theirs, ID_NUMBER)
    unknown = await look_up("45010020260101999999", ID_NUMBER)
    for refused in (other_person, same_tail, unknown):
        assert refused.status_code == 404 and refused.json()["type"].endswith(":case-not-matched"), refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert calls == ["citizen-1", "citizen-2"]

    # Only platform systems with the scope: a citizen, staff, or a system without it are refused.
    for headers, status in (
        (svc.citizen("citizen-1"), 403),
        (svc.staff(), 403),
        (svc.system("svc-hall", ("application.appointments.read",)), 403),
        ({}, 401),
    ):
        assert (await look_up(mine, ID_NUMBER, headers)).status_code == status
    # Bad input: RFC 9457 problems, identity not asked.
    for body_in in (
        {"tracking_number": mine, "id_number": "110105194912310021"},  # a wrong check character
        {"tracking_number": mine},
        {"tracking_number": mine, "id_number": ID_NUMBER, "query_code": "x"},
        {"tracking_number": "short", "id_number": ID_NUMBER},
    ):
        bad = await svc.client.post("/v1/case-lookups", json=body_in, headers=hall)
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json"), body_in
    assert calls == ["citizen-1", "citizen-2"]


async def test_identity_down_is_a_503_and_no_client_configured_too(svc) -> None:
    number = await submitted(svc, "citizen-1")
    hall = svc.system("svc-hall", SCOPE)
    body = {"tracking_number": number, "id_number": ID_NUMBER}
    svc.app.state.case_lookup_holders = IdentityHolders(HolderSettings(identity_client_secret=""))
    unconfigured = await svc.client.post("/v1/case-lookups", json=body, headers=hall)
    assert unconfigured.status_code == 503 and unconfigured.headers["content-type"].startswith(
        "application/problem+json"
    )
    down = HolderSettings(identity_url="http://127.0.0.1:9", identity_client_secret="s", identity_timeout_seconds=1)
    svc.app.state.case_lookup_holders = IdentityHolders(down)
    assert (await svc.client.post("/v1/case-lookups", json=body, headers=hall)).status_code == 503
