"""Tickets and calling on PostgreSQL: numbers unique per queue and day under concurrency, two windows calling
at once never get the same ticket, the queue's rule (appointments within their slot, priority groups,
arrival), recall, skip, transfer, finish, and no-show expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hall.worker import sweep

REGION = "450100"


async def test_numbers_are_unique_per_queue_and_day_under_concurrency(api) -> None:
    hall = await api.hall()
    issued = await asyncio.gather(*(api.desk_ticket(hall["id"], "A") for _ in range(30)))
    other = await asyncio.gather(*(api.desk_ticket(hall["id"], "B") for _ in range(5)))
    assert sorted(t["number"] for t in issued) == [f"A{n:03d}" for n in range(1, 31)]
    assert sorted(t["number"] for t in other) == [f"B{n:03d}" for n in range(1, 6)]
    api.clock.advance(days=1)  # a new day starts again at 001
    assert (await api.desk_ticket(hall["id"], "A"))["number"] == "A001"
    rows = await api.sql("SELECT count(*), count(DISTINCT (origin_queue_id, day, seq)) FROM ticket")
    assert rows[0] == (36, 36)


async def test_windows_calling_at_once_never_get_the_same_ticket(api) -> None:
    body = {
        "name": "竞争大厅",
        "region": REGION,
        "address": "竞争路",
        "queues": [{"code": "A", "name": "综合"}],
        "windows": [{"name": f"{n}号窗口", "queues": ["A"]} for n in range(1, 9)],
    }
    hall = await api.hall(body)
    windows = [w["id"] for w in hall["windows"]]
    for n, window in enumerate(windows):
        await api.sign_in(window, f"staff-{n}")
    await asyncio.gather(*(api.desk_ticket(hall["id"], "A") for _ in range(20)))
    called: list[str] = []
    for _ in range(3):  # three rounds of eight windows pressing "next" at the same moment
        answers = await asyncio.gather(*(api.call_next(w, f"staff-{n}") for n, w in enumerate(windows)))
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        got = [a.json()["ticket"] for a in answers if a.json()["ticket"]]
        called += [t["id"] for t in got]
        for n, (window, answer) in enumerate(zip(windows, answers, strict=True)):
            if answer.json()["ticket"]:
                ticket = answer.json()["ticket"]["id"]
                done = await api.client.post(
                    f"/v1/windows/{window}/tickets/{ticket}/finish", headers=api.staff(f"staff-{n}")
                )
                assert done.status_code == 200, done.text
    assert len(called) == 20 and len(set(called)) == 20, "every ticket called once, none twice"
    assert await api.sql("SELECT count(*) FROM call") == [(20,)]


async def test_the_queue_rule_appointments_in_slot_then_priority_then_arrival(api) -> None:
    hall = await api.hall()
    window = api.window(hall, "1号窗口")
    await api.sign_in(window)
    first_walk_in = await api.desk_ticket(hall["id"], "A")
    elderly = await api.desk_ticket(hall["id"], "A", priority_group="elderly")
    late = await api.book(slot_start=api.clock.now - timedelta(minutes=40))  # its slot ended 10 minutes ago
    in_slot = await api.book(slot_start=api.clock.now + timedelta(minutes=5))
    checked: dict[str, str] = {}
    for reference in (late, in_slot):
        resp = await api.client.post(
            f"/v1/halls/{hall['id']}/check-ins", json={"reference": reference, "queue": "A"}, headers=api.citizen()
        )
        assert resp.status_code == 201, resp.text
        checked[reference] = resp.json()["id"]
    waiting = (await api.client.get(f"/v1/tickets/{first_walk_in['id']}", headers=api.staff())).json()
    assert waiting["ahead"] == 2 and waiting["estimated_wait_minutes"] == 10  # the appointment and the elderly
    order = []
    for _ in range(4):
        ticket = (await api.call_next(window)).json()["ticket"]
        order.append(ticket["id"])
        await api.client.post(f"/v1/windows/{window}/tickets/{ticket['id']}/finish", headers=api.staff())
    assert order == [checked[in_slot], elderly["id"], first_walk_in["id"], checked[late]]
    assert (await api.call_next(window)).json() == {"ticket": None}


async def test_recall_skip_transfer_finish_and_the_busy_window(api) -> None:
    hall = await api.hall()
    one, three = api.window(hall, "1号窗口"), api.window(hall, "3号窗口")
    await api.sign_in(one)
    await api.sign_in(three, "staff-3")
    a1, a2 = await api.desk_ticket(hall["id"], "A"), await api.desk_ticket(hall["id"], "A")
    assert (await api.call_next(one)).json()["ticket"]["id"] == a1["id"]
    busy = await api.call_next(one)
    assert busy.status_code == 409 and busy.json()["type"].endswith(":window-busy")
    recalled = await api.client.post(f"/v1/windows/{one}/tickets/{a1['id']}/recall", headers=api.staff())
    assert recalled.json()["ticket"]["calls"] == 2
    skipped = await api.client.post(f"/v1/windows/{one}/tickets/{a1['id']}/skip", headers=api.staff())
    assert skipped.json()["ticket"]["status"] == "expired" and skipped.json()["ticket"]["expired_reason"] == "skipped"
    assert (await api.call_next(one)).json()["ticket"]["id"] == a2["id"]
    moved = await api.client.post(
        f"/v1/windows/{one}/tickets/{a2['id']}/transfer", json={"queue": "B"}, headers=api.staff()
    )
    assert moved.status_code == 200 and moved.json()["ticket"]["queue"] == "B"
    assert moved.json()["ticket"]["number"] == "A002"  # it keeps its number
    assert (await api.call_next(one)).json() == {"ticket": None}  # window 1 serves A only
    at_three = (await api.call_next(three, "staff-3")).json()["ticket"]
    assert at_three["id"] == a2["id"] and at_three["window"] == "3号窗口"
    other = await api.client.post(f"/v1/windows/{one}/tickets/{a2['id']}/finish", headers=api.staff())
    assert other.status_code == 409  # it is at window 3
    done = await api.client.post(f"/v1/windows/{three}/tickets/{a2['id']}/finish", headers=api.staff("staff-3"))
    assert done.status_code == 200 and done.json()["ticket"]["status"] == "finished"
    assert done.json()["rating"]["channel"] == "hall_device" and done.json()["rating"]["window"] == three
    types = [t for (t,) in await api.sql("SELECT type FROM outbox_event ORDER BY seq")]
    assert types.count("hall.ticket.issued") == 2 and types.count("hall.ticket.called") == 4
    assert {"hall.ticket.expired", "hall.ticket.transferred", "hall.ticket.finished"} <= set(types)
    assert types.count("hall.window.signed_in") == 2


async def test_calling_needs_the_staff_signed_in_at_that_window(api) -> None:
    hall = await api.hall()
    one = api.window(hall, "1号窗口")
    await api.desk_ticket(hall["id"], "A")
    assert (await api.call_next(one)).status_code == 403  # nobody signed in
    await api.sign_in(one)
    assert (await api.call_next(one, "staff-2")).status_code == 403  # signed in: staff-1, not staff-2
    taken = await api.client.post(f"/v1/windows/{one}/sign-in", headers=api.staff("staff-2"))
    assert taken.status_code == 409
    outsider = api.issuer.headers("staff-x", kind="staff", roles=["acceptor"], region="450200", department="d")
    assert (await api.client.post(f"/v1/windows/{one}/call-next", headers=outsider)).status_code == 403
    out = await api.client.post(f"/v1/windows/{one}/sign-out", headers=api.staff())
    assert out.status_code == 200 and out.json()["signed_out_at"] is not None
    assert await api.sql("SELECT count(*) FROM ticket WHERE status = 'waiting'") == [(1,)]


async def test_no_shows_expire(api) -> None:
    hall = await api.hall()
    one = api.window(hall, "1号窗口")
    await api.sign_in(one)
    t1 = await api.desk_ticket(hall["id"], "A")
    await api.desk_ticket(hall["id"], "A")
    assert (await api.call_next(one)).json()["ticket"]["id"] == t1["id"]
    api.clock.advance(minutes=9)
    assert await sweep(api.db, api.app.state.hall) == 0
    api.clock.advance(minutes=1)  # ten minutes after the call: queue A's no_show_minutes
    assert await sweep(api.db, api.app.state.hall) == 1
    got = (await api.client.get(f"/v1/tickets/{t1['id']}", headers=api.staff())).json()
    assert (got["status"], got["expired_reason"]) == ("expired", "unanswered")
    assert (await api.call_next(one)).status_code == 200  # the window is free again
    api.clock.advance(days=1)
    await api.client.post(f"/v1/windows/{one}/sign-out", headers=api.staff())
    await api.desk_ticket(hall["id"], "A")  # today's: stays
    assert await sweep(api.db, api.app.state.hall) == 1  # yesterday's called ticket, never answered
    reasons = await api.sql("SELECT expired_reason, count(*) FROM ticket GROUP BY 1 ORDER BY 1 NULLS FIRST")
    assert reasons == [(None, 1), ("unanswered", 2)]


async def test_a_window_never_acts_on_another_halls_ticket(api) -> None:
    """Attack: staff of a window name a ticket of another hall in the path."""
    here = await api.hall()
    there = await api.hall({**api.HALL, "name": "另一个大厅", "appointment_hall_id": None})
    one = api.window(here, "1号窗口")
    await api.sign_in(one)
    foreign = await api.desk_ticket(there["id"], "A")
    for action in ("recall", "start", "skip", "finish"):
        resp = await api.client.post(f"/v1/windows/{one}/tickets/{foreign['id']}/{action}", headers=api.staff())
        assert resp.status_code == 404, (action, resp.text)
    moved = await api.client.post(
        f"/v1/windows/{one}/tickets/{foreign['id']}/transfer", json={"queue": "B"}, headers=api.staff()
    )
    assert moved.status_code == 404
    assert await api.sql("SELECT status, calls FROM ticket") == [("waiting", 0)]
