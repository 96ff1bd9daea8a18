"""Prints at a hall's kiosk (自助打印): the hall service, as itself (``certificates.licenses.print``), lists
and prints the active licences of the person its kiosk checked, by the ID number read there; each print is in
the holder's use log. Attacks: another person's licence, a person's or another system's token, a suspended
licence, bad input; the number is never returned."""

from __future__ import annotations

import sqlalchemy as sa

from certificates.models import LicenseUse

from ..conftest import CITIZEN_ID, FOOD, PERSON, Api

OTHER_ID = "450102198506151235"  # nobody's licence (the demo citizen holds 450102199001011231's)


def hall_service(api: Api, scopes: tuple[str, ...] = ("certificates.licenses.print",)) -> dict[str, str]:
    return api.issuer.headers("svc-hall", kind="system", client_id="svc-hall", region="450000", scopes=list(scopes))


async def test_the_hall_prints_the_checked_persons_licence_and_the_holder_sees_the_use(api: Api) -> None:
    mine = await api.issue(key="c1", applicant=PERSON)
    firm = await api.issue(key="e1", type_code=FOOD)  # the enterprise's: not the person's
    listed = await api.client.post(
        "/v1/kiosk-prints/licenses", json={"id_number": CITIZEN_ID.lower()}, headers=hall_service(api)
    )
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [mine["id"]]
    assert CITIZEN_ID not in listed.text and "李四" not in listed.text
    printed = await api.client.post(
        "/v1/kiosk-prints",
        json={"id_number": CITIZEN_ID, "license_id": mine["id"], "kiosk": "一楼自助机"},
        headers=hall_service(api),
    )
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf" and printed.content.startswith(b"%PDF")
    assert printed.headers["content-disposition"].startswith("attachment")
    uses = await api.client.get("/v1/wallet/uses", headers=api.citizen())
    assert [(u["basis"], u["user_client"], u["license_id"]) for u in uses.json()["items"]] == [
        ("kiosk_print", "svc-hall", mine["id"])
    ]
    assert "一楼自助机" in uses.json()["items"][0]["purpose"]
    # Another person's card: nothing listed, their licence (or the firm's) not printed.
    others = await api.client.post("/v1/kiosk-prints/licenses", json={"id_number": OTHER_ID}, headers=hall_service(api))
    assert others.status_code == 200 and others.json()["items"] == []
    for license_id, number in ((mine["id"], OTHER_ID), (firm["id"], CITIZEN_ID)):
        refused = await api.client.post(
            "/v1/kiosk-prints",
            json={"id_number": number, "license_id": license_id, "kiosk": "k"},
            headers=hall_service(api),
        )
        assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
        assert not refused.content.startswith(b"%PDF")
    # A suspended licence is not printed.
    suspended = await api.client.post(
        f"/v1/licenses/{mine['id']}/suspend", json={"reason": "核查中"}, headers=api.staff("approver")
    )
    assert suspended.status_code == 200, suspended.text
    again = await api.client.post(
        "/v1/kiosk-prints",
        json={"id_number": CITIZEN_ID, "license_id": mine["id"], "kiosk": "k"},
        headers=hall_service(api),
    )
    assert again.status_code == 404
    async with api.app.state.runtime.db.transaction() as session:
        kiosk_uses = await session.scalar(
            sa.select(sa.func.count()).select_from(LicenseUse).where(LicenseUse.basis == "kiosk_print")
        )
    assert kiosk_uses == 1


async def test_only_a_system_with_the_print_scope_asks(api: Api) -> None:
    mine = await api.issue(key="c1", applicant=PERSON)
    body = {"id_number": CITIZEN_ID, "license_id": mine["id"], "kiosk": "k"}
    for headers in (
        api.citizen(scopes=["certificates.licenses.print"]),  # a person's token: never the hall
        hall_service(api, scopes=("certificates.licenses.read",)),
        api.staff("approver", scopes=["certificates.licenses.print"]),
        {},
    ):
        for path, ask in (("/v1/kiosk-prints", body), ("/v1/kiosk-prints/licenses", {"id_number": CITIZEN_ID})):
            resp = await api.client.post(path, json=ask, headers=headers)
            assert resp.status_code in (401, 403), (path, resp.text)
            assert CITIZEN_ID not in resp.text
    for bad in (
        {"id_number": "11010519491231002Y", "license_id": mine["id"], "kiosk": "k"},
        {"id_number": CITIZEN_ID, "license_id": "../licenses", "kiosk": "k"},
        {"id_number": CITIZEN_ID, "license_id": mine["id"]},
        {**body, "holder_subject": "citizen-1"},
    ):
        resp = await api.client.post("/v1/kiosk-prints", json=bad, headers=hall_service(api))
        assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json", bad
    async with api.app.state.runtime.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(LicenseUse)) == 0
