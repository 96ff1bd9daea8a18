"""A kiosk looks up a case by tracking number for the person it checked: the check is kept (method, outcome,
the case asked for; never the ID number), the hall asks application with its own client-credentials token
(a stand-in identity and application over HTTP here: application's side of the match is tested in
svc-application), and answers the public status only for the applicant. Attacks: another person's case, an
unregistered client or a person posing as a kiosk, forged headers; bad input changes nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from hall.platform import Platform

ID_NUMBER = "11010519491231002X"
OTHER_ID = "450102199001011231"
MINE = "45010020261207000001"
THEIRS = "45010020261207000002"
STATUS = {
    "tracking_number": MINE,
    "item_name": "食品经营许可",
    "department_name": "南宁市市场监督管理局",
    "status": "accepted",
    "submitted_at": "2026-12-01T02:00:00Z",
    "updated_at": "2026-12-02T02:00:00Z",
    "history": [
        {"status": "submitted", "at": "2026-12-01T02:00:00Z"},
        {"status": "accepted", "at": "2026-12-02T02:00:00Z"},
    ],
}


def platform_stub(seen: list[dict[str, Any]]) -> FastAPI:
    """identity's /token for svc-hall's client and application's /v1/case-lookups (only MINE, for ID_NUMBER)."""
    stub = FastAPI()

    @stub.post("/token")
    async def token(request: Request) -> dict[str, Any]:
        form = await request.form()
        basic = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
        if basic != "svc-hall:hall-secret" or form["scope"] != "application.cases.lookup":
            raise HTTPException(401)
        return {"access_token": "hall-service-token", "expires_in": 300}

    @stub.post("/v1/case-lookups")
    async def look_up(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append({"authorization": request.headers["authorization"], **body})
        if request.headers["authorization"] != "Bearer hall-service-token":
            return JSONResponse({"status": 403}, status_code=403)
        if (body["tracking_number"], body["id_number"]) != (MINE, ID_NUMBER):
            return JSONResponse({"status": 404, "type": "urn:gov-platform:problem:case-not-matched"}, status_code=404)
        return JSONResponse(STATUS)

    return stub


def connect(api, seen: list[dict[str, Any]]) -> None:
    settings = api.app.state.hall.settings.model_copy(
        update={
            "identity_url": "http://identity",
            "application_url": "http://application",
            "identity_client_secret": "hall-secret",
        }
    )
    transport = httpx.ASGITransport(app=platform_stub(seen))
    api.app.state.hall.platform = Platform(settings, transports={"application": transport, "identity": transport})


async def register_kiosk(api, hall_id: str, client_id: str) -> None:
    resp = await api.client.post(
        f"/v1/halls/{hall_id}/kiosks", json={"client_id": client_id, "name": "自助机"}, headers=api.admin()
    )
    assert resp.status_code == 201, resp.text


def lookup(number: str, id_number: str = ID_NUMBER, method: str = "id_card", **real: str) -> dict[str, Any]:
    return {"tracking_number": number, "real_name": {"method": method, "id_number": id_number, **real}}


async def test_the_applicant_sees_the_status_and_the_check_is_kept_without_the_id_number(api) -> None:
    seen: list[dict[str, Any]] = []
    connect(api, seen)
    hall = await api.hall()
    await register_kiosk(api, hall["id"], "kiosk-nn-1")

    by_card = await api.client.post("/v1/kiosk/case-lookups", json=lookup(MINE), headers=api.kiosk())
    assert by_card.status_code == 200, by_card.text
    assert by_card.json()["case"]["status"] == "accepted" and by_card.json()["real_name_method"] == "id_card"
    assert [h["status"] for h in by_card.json()["case"]["history"]] == ["submitted", "accepted"]
    by_face = await api.client.post(
        "/v1/kiosk/case-lookups", json=lookup(MINE, method="face", evidence="sandbox-match"), headers=api.kiosk()
    )
    assert by_face.status_code == 200 and by_face.json()["real_name_method"] == "face"
    # The hall asked with its own token, never the kiosk's.
    assert {s["authorization"] for s in seen} == {"Bearer hall-service-token"}

    # Another person's case (or the right case and the wrong person): 404, the attempt kept.
    for body in (lookup(THEIRS), lookup(MINE, OTHER_ID)):
        refused = await api.client.post("/v1/kiosk/case-lookups", json=body, headers=api.kiosk())
        assert refused.status_code == 404 and refused.json()["type"].endswith(":case-not-found"), refused.text
        assert "accepted" not in refused.text
    # A failed face match: 422, application not asked, the attempt kept.
    asked = len(seen)
    failed = await api.client.post(
        "/v1/kiosk/case-lookups", json=lookup(MINE, method="face", evidence="no-match"), headers=api.kiosk()
    )
    assert failed.status_code == 422 and failed.json()["type"].endswith(":real-name-check-failed")
    assert len(seen) == asked

    checks = await api.sql("SELECT method, passed, tracking_number FROM real_name_check ORDER BY checked_at, id")
    assert sorted(checks) == sorted(
        [
            ("id_card", True, MINE),
            ("face", True, MINE),
            ("id_card", True, THEIRS),
            ("id_card", True, MINE),
            ("face", False, MINE),
        ]
    )
    # The ID number is kept nowhere in the hall's database.
    for table in ("real_name_check", "ticket", "kiosk", "outbox_event"):
        rows = await api.sql(f"SELECT * FROM {table}")
        assert ID_NUMBER not in repr(rows) and OTHER_ID not in repr(rows), table


async def test_only_a_registered_kiosk_asks_and_forged_headers_do_not_make_one(api) -> None:
    seen: list[dict[str, Any]] = []
    connect(api, seen)
    hall = await api.hall()
    other = await api.hall({**api.HALL, "name": "另一个大厅", "appointment_hall_id": None})
    await register_kiosk(api, hall["id"], "kiosk-nn-1")
    await register_kiosk(api, other["id"], "kiosk-other-1")
    forged = {"X-Client-Id": "kiosk-nn-1", "X-Kiosk-Id": "kiosk-nn-1", "X-Forwarded-For": "10.0.0.1"}
    for headers in (
        api.kiosk("kiosk-unknown"),  # a system client never registered
        {**api.citizen(), **forged},  # a person naming a kiosk in headers
        api.issuer.headers("kiosk-nn-1", kind="citizen", client_id="kiosk-nn-1"),  # a person's token of its client
        {**api.staff(), **forged},
    ):
        resp = await api.client.post("/v1/kiosk/case-lookups", json=lookup(MINE), headers=headers)
        assert resp.status_code == 403, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.post("/v1/kiosk/case-lookups", json=lookup(MINE))).status_code == 401
    # The other hall's kiosk acts as itself: its check is recorded against it, not against this hall's kiosk.
    theirs = await api.client.post(
        "/v1/kiosk/case-lookups", json=lookup(MINE), headers={**api.kiosk("kiosk-other-1"), **forged}
    )
    assert theirs.status_code == 200
    recorded = await api.sql(
        "SELECT k.client_id FROM real_name_check c JOIN kiosk k ON k.id = c.kiosk_id WHERE c.tracking_number = :n",
        n=MINE,
    )
    assert recorded == [("kiosk-other-1",)]
    # Bad input: RFC 9457, nothing kept, application not asked.
    for body in (
        lookup("4501002026120700000X"),
        lookup(MINE, "110105194912310021"[:17]),
        {"tracking_number": MINE},
        {**lookup(MINE), "hall_id": hall["id"]},
        lookup(MINE, method="fingerprint"),
    ):
        bad = await api.client.post("/v1/kiosk/case-lookups", json=body, headers=api.kiosk())
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json"), body
    assert await api.sql("SELECT count(*) FROM real_name_check") == [(1,)]
    assert len(seen) == 1


async def test_application_unreachable_or_no_client_is_a_503_and_the_check_is_kept(api) -> None:
    hall = await api.hall()
    await register_kiosk(api, hall["id"], "kiosk-nn-1")
    unconfigured = await api.client.post("/v1/kiosk/case-lookups", json=lookup(MINE), headers=api.kiosk())
    assert unconfigured.status_code == 503 and unconfigured.json()["type"].endswith(":case-lookup-unavailable")
    down = api.app.state.hall.settings.model_copy(
        update={"identity_url": "http://127.0.0.1:9", "identity_client_secret": "s", "platform_timeout_seconds": 1}
    )
    api.app.state.hall.platform = Platform(down)
    unreachable = await api.client.post("/v1/kiosk/case-lookups", json=lookup(MINE), headers=api.kiosk())
    assert unreachable.status_code == 503
    assert await api.sql("SELECT count(*) FROM real_name_check WHERE tracking_number = :n", n=MINE) == [(2,)]
