"""Races on PostgreSQL: duplicate submissions, tracking-number sequences, appointment capacity."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from datetime import datetime

from gov_contracts.application import ApplicationSubmitted
from gov_standards.china_time import china_date as local_day
from gov_standards.china_time import utcnow

from ..conftest import definition, make_hall, next_working_day, slot_at


async def test_concurrent_duplicate_submissions_yield_one_application(svc) -> None:
    citizen = svc.citizen()
    draft = await svc.complete_draft(citizen, svc.items[0])
    results = await asyncio.gather(*(svc.submit(draft["id"], citizen, key="same-key") for _ in range(12)))
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["tracking_number"] for r in results}) == 1, "every duplicate got the original answer"
    assert len(await svc.outbox(ApplicationSubmitted.type)) == 1
    (history,) = await svc.sql("SELECT count(*) AS n FROM status_change WHERE to_status = 'submitted'")
    assert history.n == 1


async def test_concurrent_duplicate_create_and_submit_yields_one_application(svc) -> None:
    """The one-shot form (create with submit=true) of an item without required materials, sent 12 times at once."""
    code = await svc.publish_item(definition(basic_code="000112005000", materials=[]))
    citizen = svc.citizen()
    results = await asyncio.gather(*(svc.create(citizen, code=code, key="create-once", submit=True) for _ in range(12)))
    assert {r.status_code for r in results} == {201}, [r.text for r in results]
    assert len({(r.json()["id"], r.json()["tracking_number"]) for r in results}) == 1
    assert results[0].json()["status"] == "submitted"
    assert (await svc.sql("SELECT count(*) AS n FROM application"))[0].n == 1
    assert len(await svc.outbox(ApplicationSubmitted.type)) == 1


async def test_tracking_numbers_are_unique_and_sequential_under_concurrent_submits(svc) -> None:
    drafts = [await svc.complete_draft(svc.citizen(f"citizen-{i}"), svc.items[0]) for i in range(15)]
    results = await asyncio.gather(*(svc.submit(d["id"], svc.citizen(f"citizen-{i}")) for i, d in enumerate(drafts)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200]
    numbers = sorted(r.json()["tracking_number"] for r in results)
    today = local_day(utcnow()).strftime("%Y%m%d")
    assert numbers == [f"450100{today}{seq:06d}" for seq in range(1, 16)]
    assert all(re.fullmatch(r"\d{20}", n) for n in numbers)


async def test_appointment_capacity_holds_under_concurrent_booking(svc) -> None:
    hall = await make_hall(svc)
    day = next_working_day(local_day(utcnow()))
    start = slot_at(day, "09:30")

    async def book(i: int):
        return await svc.client.post(
            "/v1/appointments",
            json={"hall_id": hall["id"], "slot_start": start},
            headers={**svc.citizen(f"citizen-{i}"), "Idempotency-Key": uuid.uuid4().hex},
        )

    results = await asyncio.gather(*(book(i) for i in range(20)))
    codes = Counter(r.status_code for r in results)
    assert codes == {201: 5, 409: 15}, codes
    assert all(r.json()["type"].endswith(":slot-full") for r in results if r.status_code == 409)
    booked = Counter(r.json()["window"] for r in results if r.status_code == 201)
    assert booked == {"窗口 1": 3, "窗口 2": 2}
    assert len({r.json()["reference"] for r in results if r.status_code == 201}) == 5
    rows = await svc.sql("SELECT sum(booked) AS n, bool_and(booked <= capacity) AS ok FROM slot_load")
    assert rows[0].n == 5 and rows[0].ok is True
    slots = (
        await svc.client.get(f"/v1/halls/{hall['id']}/slots", params={"day": day.isoformat()}, headers=svc.citizen())
    ).json()["items"]
    (slot,) = [s for s in slots if datetime.fromisoformat(s["start"]) == datetime.fromisoformat(start)]
    assert (slot["capacity"], slot["booked"], slot["available"]) == (5, 5, 0)

    # cancelling frees a place, which one of many concurrent bookers gets
    winner = next(r for r in results if r.status_code == 201)
    owner = f"citizen-{results.index(winner)}"
    cancel = await svc.client.post(f"/v1/appointments/{winner.json()['id']}/cancel", headers=svc.citizen(owner))
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    again = await asyncio.gather(*(book(100 + i) for i in range(6)))
    assert Counter(r.status_code for r in again) == {201: 1, 409: 5}
