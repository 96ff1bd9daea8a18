"""Appointments (book, change, cancel, refusals) and result delivery (pick-up or mail through the
logistics adapter, the address encrypted at rest, carrier status updates)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from gov_standards.calendar import default_calendar
from gov_standards.china_time import china_date as local_day
from gov_standards.china_time import utcnow

from ..conftest import HALL, case_event, make_hall, next_working_day, slot_at


def next_day_off(after: date) -> date:
    day = after + timedelta(days=1)
    while default_calendar().is_working_day(day):
        day += timedelta(days=1)
    return day


async def test_book_change_cancel_and_refusals(svc) -> None:
    hall = await make_hall(svc)
    today = local_day(utcnow())
    day = next_working_day(today)
    citizen = svc.citizen("c-1")

    async def book(start: str, headers=citizen, key: str | None = None):
        return await svc.client.post(
            "/v1/appointments",
            json={"hall_id": hall["id"], "slot_start": start},
            headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
        )

    first = await book(slot_at(day, "09:00"), key="b-1")
    assert first.status_code == 201 and first.json()["reference"].startswith("YY")
    assert (await book(slot_at(day, "09:00"), key="b-1")).json()["id"] == first.json()["id"], "idempotent"

    for start, why in (
        (slot_at(next_day_off(today), "09:00"), "a day off"),
        (slot_at(day, "12:30"), "lunch break"),
        (slot_at(day, "09:10"), "not a slot start"),
        (slot_at(today - timedelta(days=1), "09:00"), "in the past"),
    ):
        resp = await book(start)
        assert resp.status_code == 422 and resp.json()["type"].endswith(":slot-not-bookable"), why

    appt = first.json()
    url = f"/v1/appointments/{appt['id']}"
    assert (await svc.client.get(url, headers=svc.citizen("c-2"))).status_code == 404
    assert (await svc.client.post(f"{url}/cancel", headers=svc.citizen("c-2"))).status_code == 404
    moved = await svc.client.patch(url, json={"slot_start": slot_at(day, "14:00")}, headers=citizen)
    assert moved.status_code == 200
    slots = (
        await svc.client.get(f"/v1/halls/{hall['id']}/slots", params={"day": day.isoformat()}, headers=citizen)
    ).json()["items"]
    load = {s["start"][11:16]: s["booked"] for s in slots}
    assert load["09:00"] == 0 and load["14:00"] == 1, "the old place was released"

    acceptor = svc.staff("window-1", roles=("acceptor",))
    found = await svc.client.get(f"/v1/appointments/by-reference/{appt['reference']}", headers=acceptor)
    assert found.status_code == 200 and found.json()["id"] == appt["id"]
    elsewhere = svc.staff("window-9", roles=("acceptor",), region="450200")
    assert (
        await svc.client.get(f"/v1/appointments/by-reference/{appt['reference']}", headers=elsewhere)
    ).status_code == 404

    assert (await svc.client.post(f"{url}/cancel", headers=citizen)).json()["status"] == "cancelled"
    assert (await svc.client.post(f"{url}/cancel", headers=citizen)).status_code == 409
    assert (await book(slot_at(day, "09:00"), headers=svc.staff())).status_code == 403

    # Each booking, change and cancellation is an event for the hall service (its check-in), once each.
    events = [(row.type, row.subject) for row in await svc.outbox() if row.type.startswith("application.appointment.")]
    assert events == [
        ("application.appointment.booked", appt["id"]),
        ("application.appointment.changed", appt["id"]),
        ("application.appointment.cancelled", appt["id"]),
    ]
    (booked,) = await svc.outbox("application.appointment.booked")
    assert booked.data["reference"] == appt["reference"] and booked.data["subject"] == "c-1"
    assert booked.data["slot_end"] > booked.data["slot_start"]


async def test_only_staff_admins_of_the_region_set_up_halls(svc) -> None:
    for headers in (svc.citizen(), svc.staff(roles=("acceptor",)), svc.staff(roles=("staff_admin",), region="450200")):
        assert (await svc.client.post("/v1/halls", json=HALL, headers=headers)).status_code == 403
    bad = await svc.client.post(
        "/v1/halls", json={**HALL, "periods": [["12:00", "09:00"]]}, headers=svc.staff(roles=("staff_admin",))
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/periods"
    assert (await svc.sql("SELECT count(*) AS n FROM hall"))[0].n == 0


async def test_mail_delivery_through_the_logistics_adapter(svc) -> None:
    citizen = svc.citizen("c-1")
    draft = await svc.complete_draft(citizen, svc.items[0])
    app = (await svc.submit(draft["id"], citizen)).json()
    url = f"/v1/applications/{app['id']}/delivery"
    address = {"recipient": "张三", "phone": "13800000001", "region": "450103", "detail": "民族大道 1 号"}
    chosen = await svc.client.put(url, json={"method": "mail", "address": address}, headers=citizen)
    assert chosen.status_code == 200 and chosen.json()["address"]["phone"] == "13800000001"
    (raw,) = await svc.sql("SELECT address_enc FROM delivery")
    assert b"13800000001" not in bytes(raw.address_enc), "the address is encrypted at rest"
    assert (await svc.client.put(url, json={"method": "mail"}, headers=citizen)).status_code == 422
    assert (await svc.client.get(url, headers=svc.citizen("c-2"))).status_code == 404

    staff = svc.staff("rev-1", roles=("reviewer",))
    early = await svc.client.post(f"{url}/dispatch", headers=staff)
    assert early.status_code == 409, "nothing to deliver before approval"
    await svc.deliver_case_event(case_event("workflow.case.accepted", app, "case-1"))
    await svc.deliver_case_event(case_event("workflow.case.approved", app, "case-1", opinion="准予许可"))
    assert (await svc.client.post(f"{url}/dispatch", headers=citizen)).status_code == 403
    sent = await svc.client.post(f"{url}/dispatch", headers=staff)
    assert sent.status_code == 200 and sent.json()["status"] == "shipped"
    waybill = sent.json()["waybill"]
    assert svc.logistics.shipments[waybill]["reference"] == app["tracking_number"]

    carrier = svc.system("ems", ("application.delivery.write",))
    assert (
        await svc.client.post(f"/v1/deliveries/{waybill}/updates", json={"status": "delivered"}, headers=citizen)
    ).status_code == 403
    bad = await svc.client.post(f"/v1/deliveries/{waybill}/updates", json={"status": "teleported"}, headers=carrier)
    assert bad.status_code == 422
    ok = await svc.client.post(
        f"/v1/deliveries/{waybill}/updates", json={"status": "delivered", "note": "本人签收"}, headers=carrier
    )
    assert ok.status_code == 204
    final = (await svc.client.get(url, headers=citizen)).json()
    assert final["status"] == "delivered"
    assert [u["status"] for u in final["updates"]] == ["requested", "shipped", "delivered"]
