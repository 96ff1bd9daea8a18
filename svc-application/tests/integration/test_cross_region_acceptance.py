"""异地代收: a window of another region accepts an application for an item whose catalog entry allows it, on
the item's department's behalf. The application records the accepting region, department and hall, and
``application.submitted`` carries them; the item's department (its region) still owns it. The accepting side
follows it and hands the result over at its hall; a window of a third region sees nothing. An item that does
not allow it, or a region it does not list, is refused with a problem and nothing is written."""

from __future__ import annotations

from typing import Any

from ..conftest import HALL, REGION, case_event, definition

LIUZHOU, GUILIN = "450200", "450300"
LZ_HALL_DEPT = "11450200MB0000001X"  # the Liuzhou hall's department (a made-up code: tokens carry any)
GL_HALL_DEPT = "11450300MB0000002X"
LZ_APPLICANT = {"name": "王五", "id_number": "440524188001010014", "kind": "citizen"}


async def hall_in(svc: Any, region: str, department: str) -> dict[str, Any]:
    admin = svc.staff(f"admin-{region}", roles=("staff_admin",), region=region, department=department)
    made = await svc.client.post("/v1/halls", json={**HALL, "name": f"{region} 政务服务大厅", "region": region},
                                 headers=admin)  # fmt: skip
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_an_item_that_does_not_allow_it_is_refused_and_nothing_is_written(svc: Any) -> None:
    window = svc.staff("lz-window-1", roles=("acceptor",), department=LZ_HALL_DEPT, region=LIUZHOU)
    not_allowed = svc.items[0]  # Nanning's item without cross_region_acceptance
    guilin_only = await svc.publish_item(
        definition(basic_code="000112006000", cross_region_acceptance={"regions": [GUILIN]})
    )
    for code in (not_allowed, guilin_only):
        refused = await svc.create(window, code=code, applicant=LZ_APPLICANT)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["type"].endswith(":cross-region-acceptance-not-allowed"), body
        assert (body["item_code"], body["item_region"], body["accepting_region"]) == (code, REGION, LIUZHOU)
    # A Nanning window accepts its own region's item as before (no attribute needed).
    local = await svc.create(svc.staff("nn-window-1", roles=("acceptor",)), code=not_allowed, applicant=LZ_APPLICANT)
    assert local.status_code == 201 and local.json()["accepted_for"] is None
    assert [r.n for r in await svc.sql("SELECT count(*) AS n FROM application")] == [1]


async def test_liuzhou_accepts_for_nanning_which_owns_and_decides_and_liuzhou_hands_over(svc: Any) -> None:
    code = await svc.publish_item(definition(basic_code="000112006000", cross_region_acceptance={"regions": []}))
    lz_hall = await hall_in(svc, LIUZHOU, LZ_HALL_DEPT)
    nn_hall = await hall_in(svc, REGION, "11450100MB0000003X")
    window = svc.staff("lz-window-1", roles=("acceptor",), department=LZ_HALL_DEPT, region=LIUZHOU)

    # A hall of another region than the window's is not where it accepts.
    wrong_hall = await svc.client.post(
        "/v1/applications",
        json={"item_code": code, "applicant": LZ_APPLICANT, "hall_id": nn_hall["id"]},
        headers={**window, "Idempotency-Key": "x-1"},
    )
    assert wrong_hall.status_code == 422 and wrong_hall.json()["type"].endswith(":applicant-invalid")

    made = await svc.client.post(
        "/v1/applications",
        json={"item_code": code, "applicant": LZ_APPLICANT, "hall_id": lz_hall["id"], "form": {
            "business_name": "柳州代收店", "area_m2": 30}},
        headers={**window, "Idempotency-Key": "lz-1"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    app = made.json()
    assert app["channel"] == "hall" and app["region"] == REGION and app["department"]["code"] != LZ_HALL_DEPT
    assert app["accepted_for"] == {
        "region": LIUZHOU,
        "department": LZ_HALL_DEPT,
        "acceptor": "lz-window-1",
        "hall_id": lz_hall["id"],
    }
    for name in ("营业执照", "经营场所平面图"):
        assert (await svc.upload(app["id"], window, name)).status_code == 201
    submitted = await svc.submit(app["id"], window)
    assert submitted.status_code == 200, submitted.text
    app = submitted.json()
    assert app["tracking_number"].startswith(REGION), "the owner's region numbers the case"
    (event,) = [row for row in await svc.outbox("application.submitted") if row.subject == app["id"]]
    assert (
        event.data["accepted_for"]["region"] == LIUZHOU
        and event.data["department"]["code"] == app["department"]["code"]
    )

    # Who sees it: both sides; a window of a third region and another Liuzhou department do not.
    owner = svc.staff("nn-approver", roles=("acceptor", "reviewer", "approver"))
    guilin = svc.staff("gl-window-1", roles=("acceptor",), department=GL_HALL_DEPT, region=GUILIN)
    other_lz = svc.staff("lz-market-1", roles=("acceptor",), department="11450200MBR4H32Y66", region=LIUZHOU)
    url = f"/v1/applications/{app['id']}"
    for reader in (window, owner):
        assert (await svc.client.get(url, headers=reader)).status_code == 200
    for stranger in (guilin, other_lz):
        assert (await svc.client.get(url, headers=stranger)).status_code == 404
        listed = (await svc.client.get("/v1/applications", headers=stranger)).json()["items"]
        assert app["id"] not in [a["id"] for a in listed]
    listed = (await svc.client.get("/v1/applications", headers=window)).json()["items"]
    assert [a["id"] for a in listed] == [app["id"]], "Liuzhou's window lists what it accepted for others"

    # The result comes back to the accepting hall: the window chooses pick-up there for the person.
    chosen = await svc.client.put(
        f"{url}/delivery", json={"method": "pickup", "hall_id": lz_hall["id"]}, headers=window
    )
    assert chosen.status_code == 200, chosen.text
    hall_applicant = {"subject": f"hall:{app['id']}", "kind": "citizen", "enterprise": None}  # as workflow names one
    await svc.deliver_case_event(case_event("workflow.case.approved", app, "case-lz-1", applicant=hall_applicant))
    # The accepting side does not dispatch the decision's result; the owner does.
    assert (await svc.client.post(f"{url}/delivery/dispatch", headers=window)).status_code == 403
    early = await svc.client.post(f"{url}/delivery/handover", headers=window)
    assert early.status_code == 409, "nothing to hand over before the owner dispatched it"
    dispatched = await svc.client.post(f"{url}/delivery/dispatch", headers=owner)
    assert dispatched.status_code == 200 and dispatched.json()["status"] == "ready_for_pickup", dispatched.text
    # Only hall staff of the pick-up hall's region hand it over; a stranger learns nothing.
    assert (await svc.client.post(f"{url}/delivery/handover", headers=owner)).status_code == 403
    assert (await svc.client.post(f"{url}/delivery/handover", headers=guilin)).status_code == 404
    handed = await svc.client.post(f"{url}/delivery/handover", headers=window)
    assert handed.status_code == 200, handed.text
    assert [u["status"] for u in handed.json()["updates"]] == ["requested", "ready_for_pickup", "picked_up"]
    again = await svc.client.post(f"{url}/delivery/handover", headers=window)
    assert again.status_code == 409
