"""A kiosk checks an appointment in only for its holder (identity answers yes or no to the hall's own token),
and prints the licences of the person it checked (自助打印; certificates lists and renders them for that
person only, application first finds the person to be a case's applicant). Attacks: another person's card at
the appointment, another person's licence or case, a forged or unregistered kiosk, another hall's kiosk;
every refusal keeps the check and changes nothing else; the ID number is kept nowhere in the hall."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse

from hall.platform import Platform

from ..conftest import PlatformStub

ID_NUMBER = "11010519491231002X"
OTHER_ID = "450102198506151235"
MINE = "45010020261207000001"
THEIRS = "45010020261207000002"
PENDING = "45010020261207000003"
CASE_ID = "0c7e5f0e-2b7c-4c39-9d0e-5a4b2d1c0a11"
LICENCE = {
    "id": "3f2b1a5c-0000-4000-8000-000000000001",
    "type_name": "食品经营许可证",
    "identifier": "1.2.156.3005.2.11100000000013338W011.11450100MBQH0Y21QM.3F2B1A5C00004000.001.B",
    "issuer_name": "南宁市市场监督管理局",
    "case_id": CASE_ID,
    "valid_from": "2026-12-01",
    "valid_until": "2031-11-30",
    "issued_at": "2026-12-01T02:00:00Z",
}
THEIR_LICENCE = {**LICENCE, "id": "3f2b1a5c-0000-4000-8000-000000000002", "case_id": None, "id_number": OTHER_ID}


def status(number: str, case_id: str | None) -> dict[str, Any]:
    return {
        "tracking_number": number,
        "item_name": "食品经营许可",
        "department_name": "南宁市市场监督管理局",
        "status": "approved" if case_id else "submitted",
        "submitted_at": "2026-12-01T02:00:00Z",
        "updated_at": "2026-12-02T02:00:00Z",
        "history": [],
        "case_id": case_id,
    }


def platform() -> PlatformStub:
    return PlatformStub(
        holders={"citizen-1": ID_NUMBER, "citizen-2": OTHER_ID},
        cases={
            MINE: (ID_NUMBER, status(MINE, CASE_ID)),
            THEIRS: (OTHER_ID, status(THEIRS, "9d0e0000-0000-4000-8000-000000000009")),
            PENDING: (ID_NUMBER, status(PENDING, None)),
        },
        licences=[{**LICENCE, "id_number": ID_NUMBER}, THEIR_LICENCE],
    )


async def register_kiosk(api, hall_id: str, client_id: str = "kiosk-nn-1") -> None:
    resp = await api.client.post(
        f"/v1/halls/{hall_id}/kiosks", json={"client_id": client_id, "name": "一楼自助机"}, headers=api.admin()
    )
    assert resp.status_code == 201, resp.text


def card(id_number: str = ID_NUMBER) -> dict[str, str]:
    return {"method": "id_card", "id_number": id_number}


async def no_id_number_kept(api) -> None:
    for table in ("real_name_check", "ticket", "kiosk_print", "appointment", "outbox_event"):
        rows = await api.sql(f"SELECT * FROM {table}")
        assert ID_NUMBER not in repr(rows) and OTHER_ID not in repr(rows), table


async def test_only_the_appointments_holder_checks_it_in_at_a_kiosk(api) -> None:
    stub = api.connect(platform())
    hall = await api.hall()
    other = await api.hall({**api.HALL, "name": "另一个大厅", "appointment_hall_id": None})
    await register_kiosk(api, hall["id"])
    await register_kiosk(api, other["id"], "kiosk-other-1")
    reference = await api.book(holder="citizen-1", slot_start=api.clock.now + timedelta(minutes=10))
    body = {"reference": reference, "queue": "A", "real_name": card(OTHER_ID)}

    # Someone else's ID card (read and valid) at the holder's appointment: refused, no ticket.
    refused = await api.client.post("/v1/kiosk/check-ins", json=body, headers=api.kiosk())
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith(":not-the-appointment-holder")
    assert await api.sql("SELECT count(*) FROM ticket") == [(0,)]
    assert await api.sql("SELECT ticket_id FROM appointment WHERE reference = :r", r=reference) == [(None,)]
    # The hall asked identity with its own token of identity.holder.match, naming the holder's account.
    assert [(path, auth, ask["subject"]) for path, auth, ask in stub.seen] == [
        ("/v1/holder-matches", "Bearer hall-identity.holder.match", "citizen-1")
    ]
    # Another hall's kiosk does not find this hall's appointment (its own hall only), even with the holder's card.
    elsewhere = await api.client.post(
        "/v1/kiosk/check-ins", json={**body, "real_name": card()}, headers=api.kiosk("kiosk-other-1")
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["type"].endswith(":appointment-not-found")

    # The holder's card: the ticket.
    ok = await api.client.post("/v1/kiosk/check-ins", json={**body, "real_name": card()}, headers=api.kiosk())
    assert ok.status_code == 201, ok.text
    assert ok.json()["ticket"]["source"] == "appointment"
    checks = await api.sql(
        "SELECT reference, passed, holder_matched, ticket_id IS NOT NULL FROM real_name_check ORDER BY checked_at, id"
    )
    # The refusal is kept (the hall's record of it: which appointment, not the holder); the 404 kept nothing.
    assert sorted(checks, key=lambda c: c[3]) == [(reference, True, False, False), (reference, True, True, True)]
    await no_id_number_kept(api)


async def test_no_holder_check_no_check_in(api) -> None:
    hall = await api.hall()
    await register_kiosk(api, hall["id"])
    reference = await api.book(holder="citizen-1")
    body = {"reference": reference, "queue": "A", "real_name": card()}
    # The hall has no client secret: it cannot ask identity, so it checks nobody in.
    unconfigured = await api.client.post("/v1/kiosk/check-ins", json=body, headers=api.kiosk())
    assert unconfigured.status_code == 503 and unconfigured.json()["type"].endswith(":holder-check-unavailable")
    # Identity down: the same.
    down_settings = {"identity_url": "http://127.0.0.1:9", "identity_client_secret": "s", "platform_timeout_seconds": 1}
    api.app.state.hall.platform = Platform(api.app.state.hall.settings.model_copy(update=down_settings))
    down = await api.client.post("/v1/kiosk/check-ins", json=body, headers=api.kiosk())
    assert down.status_code == 503
    assert await api.sql("SELECT count(*) FROM ticket") == [(0,)]
    assert await api.sql("SELECT count(*), count(holder_matched) FROM real_name_check") == [(2, 0)]


async def test_a_kiosk_prints_the_checked_persons_licence_and_counts_it(api) -> None:
    stub = api.connect(platform())
    hall = await api.hall()
    await register_kiosk(api, hall["id"])

    listed = await api.client.post("/v1/kiosk/licences", json={"real_name": card()}, headers=api.kiosk())
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [LICENCE["id"]]
    assert "case_id" not in listed.json()["items"][0] and listed.json()["real_name_method"] == "id_card"

    printed = await api.client.post(
        "/v1/kiosk/prints", json={"real_name": card(), "license_id": LICENCE["id"]}, headers=api.kiosk()
    )
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf" and printed.content.startswith(b"%PDF")
    assert printed.headers["content-disposition"].startswith("attachment")
    # A case's result: application finds the person to be the applicant, the case's licence is printed.
    by_case = await api.client.post(
        "/v1/kiosk/prints", json={"real_name": card(), "tracking_number": MINE}, headers=api.kiosk()
    )
    assert by_case.status_code == 200 and LICENCE["id"].encode() in by_case.content
    # Every call as the hall, with the scope each service asks for; the kiosk's own token never leaves.
    assert {(path, auth) for path, auth, _ in stub.seen} == {
        ("/v1/kiosk-prints/licenses", "Bearer hall-certificates.licenses.print"),
        ("/v1/kiosk-prints", "Bearer hall-certificates.licenses.print"),
        ("/v1/case-lookups", "Bearer hall-application.cases.lookup"),
    }
    assert {ask["kiosk"] for path, _, ask in stub.seen if path == "/v1/kiosk-prints"} == {"一楼自助机"}
    figures = await api.client.get(f"/v1/halls/{hall['id']}/figures", headers=api.supervisor())
    assert figures.json()["kiosk_prints"] == 2
    rows = await api.sql("SELECT license_id, document_type, tracking_number, day FROM kiosk_print ORDER BY printed_at")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (LICENCE["id"], "食品经营许可证", None),
        (LICENCE["id"], "食品经营许可证", MINE),
    ]
    await no_id_number_kept(api)


async def test_another_persons_licence_or_case_prints_nothing(api) -> None:
    stub = api.connect(platform())
    hall = await api.hall()
    await register_kiosk(api, hall["id"])
    attempts = [
        ({"real_name": card(), "license_id": THEIR_LICENCE["id"]}, "document-not-found"),  # their licence, my card
        ({"real_name": card(OTHER_ID), "license_id": LICENCE["id"]}, "document-not-found"),  # my licence, their card
        ({"real_name": card(), "tracking_number": THEIRS}, "case-not-found"),  # their case
        ({"real_name": card(), "tracking_number": PENDING}, "document-not-found"),  # my case, no licence yet
    ]
    for body, slug in attempts:
        resp = await api.client.post("/v1/kiosk/prints", json=body, headers=api.kiosk())
        assert resp.status_code == 404 and resp.json()["type"].endswith(f":{slug}"), resp.text
        assert not resp.content.startswith(b"%PDF")
    # The PDF was never asked for, nothing was counted; every check is kept.
    assert not [path for path, _, _ in stub.seen if path == "/v1/kiosk-prints"]
    assert await api.sql("SELECT count(*) FROM kiosk_print") == [(0,)]
    assert await api.sql("SELECT count(*) FROM real_name_check") == [(4,)]
    # A failed face match: nothing asked, 422.
    asked = len(stub.seen)
    face = {"method": "face", "id_number": ID_NUMBER, "evidence": "no-match"}
    failed = await api.client.post(
        "/v1/kiosk/prints", json={"real_name": face, "license_id": LICENCE["id"]}, headers=api.kiosk()
    )
    assert failed.status_code == 422 and failed.json()["type"].endswith(":real-name-check-failed")
    assert len(stub.seen) == asked


async def test_only_a_registered_kiosk_prints_and_bad_input_changes_nothing(api) -> None:
    stub = api.connect(platform())
    hall = await api.hall()
    other = await api.hall({**api.HALL, "name": "另一个大厅", "appointment_hall_id": None})
    await register_kiosk(api, hall["id"])
    await register_kiosk(api, other["id"], "kiosk-other-1")
    body = {"real_name": card(), "license_id": LICENCE["id"]}
    forged = {"X-Client-Id": "kiosk-nn-1", "X-Kiosk-Id": "kiosk-nn-1", "X-Hall-Id": hall["id"]}
    for headers in (
        api.kiosk("kiosk-unknown"),
        {**api.citizen(), **forged},
        api.issuer.headers("kiosk-nn-1", kind="citizen", client_id="kiosk-nn-1", scopes=["hall.tickets.take"]),
        {**api.staff(), **forged},
    ):
        for path, ask in (("/v1/kiosk/prints", body), ("/v1/kiosk/licences", {"real_name": card()})):
            resp = await api.client.post(path, json=ask, headers=headers)
            assert resp.status_code == 403 and resp.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.post("/v1/kiosk/prints", json=body)).status_code == 401
    assert stub.seen == []
    # Another hall's kiosk prints as itself: the print is counted for its own hall, whatever the headers say.
    theirs = await api.client.post("/v1/kiosk/prints", json=body, headers={**api.kiosk("kiosk-other-1"), **forged})
    assert theirs.status_code == 200
    assert await api.sql("SELECT hall_id::text FROM kiosk_print") == [(other["id"],)]
    for bad in (
        {"real_name": card()},  # nothing named
        {**body, "tracking_number": MINE},  # both
        {"real_name": card(), "license_id": "../../licenses"},
        {"real_name": card(), "tracking_number": "4501002026120700000X"},
        {**body, "hall_id": hall["id"]},
        {"license_id": LICENCE["id"]},
    ):
        resp = await api.client.post("/v1/kiosk/prints", json=bad, headers=api.kiosk())
        assert resp.status_code == 422 and resp.headers["content-type"].startswith("application/problem+json"), bad
    assert await api.sql("SELECT count(*) FROM kiosk_print") == [(1,)]
    assert await api.sql("SELECT count(*) FROM real_name_check") == [(1,)]


async def test_a_token_identity_no_longer_takes_is_fetched_anew(api) -> None:
    """Identity answers 401 to a revoked (or rotated-out) token: that ask is a 503, and the next one fetches a
    new token instead of sending the refused one until it would have expired."""
    issued: list[str] = []
    stub = FastAPI()

    @stub.post("/token")
    async def token(scope: str = Form()) -> dict[str, Any]:
        issued.append(scope)
        return {"access_token": f"t{len(issued)}", "token_type": "Bearer", "expires_in": 300}

    @stub.post("/v1/holder-matches")
    async def holder_match(request: Request) -> JSONResponse:
        if request.headers["authorization"] == "Bearer t1":
            return JSONResponse({"status": 401}, status_code=401)
        return JSONResponse({"matches": True})

    transport = httpx.ASGITransport(app=stub)
    settings = api.app.state.hall.settings.model_copy(update={"identity_client_secret": "hall-secret"})
    api.app.state.hall.platform = Platform(settings, transports={"identity": transport})
    hall = await api.hall()
    await register_kiosk(api, hall["id"])
    reference = await api.book(holder="citizen-1")
    body = {"reference": reference, "queue": "A", "real_name": card()}
    refused = await api.client.post("/v1/kiosk/check-ins", json=body, headers=api.kiosk())
    assert refused.status_code == 503 and refused.json()["type"].endswith(":holder-check-unavailable")
    ok = await api.client.post("/v1/kiosk/check-ins", json=body, headers=api.kiosk())
    assert ok.status_code == 201, ok.text
    assert issued == ["identity.holder.match", "identity.holder.match"]
