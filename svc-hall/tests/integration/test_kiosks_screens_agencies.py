"""Kiosks (registered devices bound to one hall, real-name checks), the screen stream over real HTTP, 全程代办,
the figures, and attacks: another hall's kiosk or staff, another person's appointment or ticket."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx

from gov_common.testing import serve_on_port

from ..conftest import PlatformStub

ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (check character X)


async def register_kiosk(api, hall_id: str, client_id: str = "kiosk-nn-1") -> dict:
    resp = await api.client.post(
        f"/v1/halls/{hall_id}/kiosks", json={"client_id": client_id, "name": "一楼自助机"}, headers=api.admin()
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_a_kiosk_takes_tickets_in_its_own_hall_only(api) -> None:
    hall = await api.hall()
    other = await api.hall({**api.HALL, "name": "另一个大厅", "appointment_hall_id": None})
    assert (
        await api.client.post(
            f"/v1/halls/{hall['id']}/kiosks", json={"client_id": "k-1", "name": "k"}, headers=api.staff()
        )
    ).status_code == 403
    await register_kiosk(api, hall["id"])
    taken = await api.client.post("/v1/kiosk/tickets", json={"queue": "A"}, headers=api.kiosk())
    assert taken.status_code == 201, taken.text
    assert taken.json()["ticket"]["hall_id"] == hall["id"] and taken.json()["ticket"]["source"] == "kiosk"
    unknown = await api.client.post("/v1/kiosk/tickets", json={"queue": "A"}, headers=api.kiosk("kiosk-elsewhere"))
    assert unknown.status_code == 403 and unknown.json()["type"].endswith(":not-a-registered-kiosk")
    # A person's token with the same scope is no kiosk, even naming the kiosk's client id as its subject.
    person = api.issuer.headers("kiosk-nn-1", kind="citizen", client_id="kiosk-nn-1")
    assert (await api.client.post("/v1/kiosk/tickets", json={"queue": "A"}, headers=person)).status_code == 403
    counts = await api.sql("SELECT hall_id, count(*) FROM ticket GROUP BY hall_id")
    assert counts == [(uuid.UUID(hall["id"]), 1)] and other["id"] != hall["id"]


async def test_a_kiosk_checks_an_appointment_in_after_a_real_name_check(api) -> None:
    api.connect(PlatformStub(holders={"citizen-1": ID_NUMBER}))
    hall = await api.hall()
    await register_kiosk(api, hall["id"])
    reference = await api.book(slot_start=api.clock.now + timedelta(minutes=10))
    failed = await api.client.post(
        "/v1/kiosk/check-ins",
        json={
            "reference": reference,
            "queue": "A",
            "real_name": {"method": "face", "id_number": ID_NUMBER, "evidence": "no-match"},
        },
        headers=api.kiosk(),
    )
    assert failed.status_code == 422 and failed.json()["type"].endswith(":real-name-check-failed")
    ok = await api.client.post(
        "/v1/kiosk/check-ins",
        json={
            "reference": reference,
            "queue": "A",
            "real_name": {"method": "face", "id_number": ID_NUMBER, "evidence": "sandbox-match"},
        },
        headers=api.kiosk(),
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["real_name_method"] == "face" and ok.json()["ticket"]["source"] == "appointment"
    again = await api.client.post(
        "/v1/kiosk/check-ins",
        json={"reference": reference, "queue": "A", "real_name": {"method": "id_card", "id_number": ID_NUMBER}},
        headers=api.kiosk(),
    )
    assert again.status_code == 409 and again.json()["ticket_id"] == ok.json()["ticket"]["id"]
    checks = await api.sql("SELECT method, passed, id_tail, holder_matched FROM real_name_check")
    # a failed check (identity not asked) and the holder's; the request refused (409) keeps nothing
    assert sorted(checks) == [("face", False, "002X", None), ("face", True, "002X", True)]
    # The holder sees the ticket; another citizen does not.
    ticket = ok.json()["ticket"]["id"]
    assert (await api.client.get(f"/v1/tickets/{ticket}", headers=api.citizen())).status_code == 200
    assert (await api.client.get(f"/v1/tickets/{ticket}", headers=api.citizen("citizen-2"))).status_code == 404
    mine = await api.client.get("/v1/tickets", headers=api.citizen())
    assert [t["id"] for t in mine.json()["items"]] == [ticket]


async def test_only_the_holder_or_the_hall_checks_an_appointment_in(api) -> None:
    hall = await api.hall()
    reference = await api.book(holder="citizen-1")
    path = f"/v1/halls/{hall['id']}/check-ins"
    body = {"reference": reference, "queue": "A"}
    assert (await api.client.post(path, json=body, headers=api.citizen("citizen-2"))).status_code == 403
    outsider = api.issuer.headers("s-x", kind="staff", roles=["acceptor"], region="450200", department="d")
    assert (await api.client.post(path, json=body, headers=outsider)).status_code == 403
    other_day = await api.book(slot_start=api.clock.now + timedelta(days=1))
    late = await api.client.post(path, json={"reference": other_day, "queue": "A"}, headers=api.citizen())
    assert late.status_code == 422 and late.json()["type"].endswith(":appointment-not-today")
    assert (
        await api.client.post(path, json={"reference": "YY22222222", "queue": "A"}, headers=api.citizen())
    ).status_code == 404
    assert await api.sql("SELECT count(*) FROM ticket") == [(0,)]
    assert (await api.client.post(path, json=body, headers=api.staff())).status_code == 201  # the front desk


async def test_agencies_are_visible_to_their_person_and_agent_only(api) -> None:
    hall = await api.hall()
    body = {
        "tracking_number": "450100202612070001",
        "person": "citizen-1",
        "consent_method": "signature",
        "consent_at": api.clock.now.isoformat(),
        "note": "行动不便，全程代办",
    }
    assert (
        await api.client.post(f"/v1/halls/{hall['id']}/agencies", json=body, headers=api.citizen())
    ).status_code == 403
    created = await api.client.post(f"/v1/halls/{hall['id']}/agencies", json=body, headers=api.staff("agent-1"))
    assert created.status_code == 201, created.text
    agency = created.json()
    assert agency["agent"] == "agent-1" and agency["consent_method"] == "signature"
    mine = await api.client.get("/v1/agencies", headers=api.citizen())
    assert [a["id"] for a in mine.json()["items"]] == [agency["id"]]
    assert (await api.client.get("/v1/agencies", headers=api.citizen("citizen-2"))).json()["items"] == []
    assert (await api.client.get(f"/v1/agencies/{agency['id']}", headers=api.citizen("citizen-2"))).status_code == 404
    ended = await api.client.post(f"/v1/agencies/{agency['id']}/end", headers=api.citizen())
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert (await api.client.post(f"/v1/agencies/{agency['id']}/end", headers=api.citizen())).status_code == 409


async def test_figures_and_attendance_of_a_day(api) -> None:
    hall = await api.hall()
    one = api.window(hall, "1号窗口")
    await api.sign_in(one)
    t1 = await api.desk_ticket(hall["id"], "A")
    t2 = await api.desk_ticket(hall["id"], "A")
    api.clock.advance(minutes=6)
    await api.call_next(one)
    api.clock.advance(minutes=1)
    await api.client.post(f"/v1/windows/{one}/tickets/{t1['id']}/start", headers=api.staff())
    api.clock.advance(minutes=8)
    await api.client.post(f"/v1/windows/{one}/tickets/{t1['id']}/finish", headers=api.staff())
    await api.call_next(one)  # t2, 15 minutes after issue
    await api.client.post(f"/v1/windows/{one}/tickets/{t2['id']}/skip", headers=api.staff())
    path = f"/v1/halls/{hall['id']}/figures?day=2026-12-07"
    assert (await api.client.get(path, headers=api.citizen())).status_code == 403
    got = (await api.client.get(path, headers=api.supervisor())).json()
    assert got["total"] == {
        "issued": 2,
        "finished": 1,
        "no_shows": 1,
        "no_show_rate": 0.5,
        "average_wait_seconds": 630.0,
        "average_service_seconds": 480.0,
    }
    assert got["queues"]["A"]["issued"] == 2 and got["windows"]["1号窗口"]["finished"] == 1
    assert list(got["hours"]) == ["10"]
    t3 = await api.desk_ticket(hall["id"], "B")
    # Without a day: today's (China time), as the supervisor board asks; the ticket waiting now is counted.
    today = (await api.client.get(f"/v1/halls/{hall['id']}/figures", headers=api.supervisor())).json()
    assert today["day"] == "2026-12-07" and today["total"]["issued"] == 3
    assert (today["waiting"], today["waiting_by_queue"], today["kiosk_prints"]) == (1, {"B": 1}, 0)
    assert got["waiting"] == 0 and t3["status"] == "waiting"
    earlier = await api.client.get(f"/v1/halls/{hall['id']}/figures?day=2026-12-06", headers=api.supervisor())
    assert earlier.json()["total"]["issued"] == 0 and earlier.json()["waiting"] == 0
    other = api.issuer.headers("sup-2", kind="staff", roles=["supervisor"], region="450200", department="s")
    assert (await api.client.get(path, headers=other)).status_code == 403
    attendance = await api.client.get(f"/v1/halls/{hall['id']}/attendance?day=2026-12-07", headers=api.supervisor())
    assert [(a["staff"], a["signed_out_at"]) for a in attendance.json()["items"]] == [("staff-1", None)]


async def read_events(lines: AsyncIterator[str], count: int, kind: str = "call") -> list[dict]:
    """The next ``count`` events of ``kind`` from the lines of an open SSE response."""
    found: list[dict] = []
    event = data = None
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
        elif line == "" and event is not None:
            if event == kind:
                found.append(json.loads(data or "null"))
                if len(found) == count:
                    return found
            event = data = None
    return found


async def test_the_screen_streams_each_call_in_order_over_http(serve_hall) -> None:
    async with serve_hall() as api:
        hall = await api.hall()
        one, two = api.window(hall, "1号窗口"), api.window(hall, "2号窗口")
        await api.sign_in(one)
        await api.sign_in(two, "staff-2")
        for _ in range(3):
            await api.desk_ticket(hall["id"], "A")
        page = await api.client.get(f"/v1/halls/{hall['id']}/screen")
        assert page.status_code == 200 and "script-src 'sha256-" in page.headers["content-security-policy"]
        assert "南宁市民中心" in page.text
        async with serve_on_port(api.app) as base, httpx.AsyncClient(base_url=base, timeout=20) as http:
            sse = {"Accept": "text/event-stream"}
            async with http.stream("GET", f"/v1/halls/{hall['id']}/screen/stream", headers=sse) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                first = await asyncio.wait_for(read_events(lines, 1, "waiting"), 10)
                assert first == [{"A": 3, "B": 0}]
                calls = asyncio.create_task(read_events(lines, 4))
                t1 = (await api.call_next(one)).json()["ticket"]
                t2 = (await api.call_next(two, "staff-2")).json()["ticket"]
                await api.client.post(f"/v1/windows/{one}/tickets/{t1['id']}/recall", headers=api.staff())
                await api.client.post(f"/v1/windows/{one}/tickets/{t1['id']}/finish", headers=api.staff())
                t3 = (await api.call_next(one)).json()["ticket"]
                shown = await asyncio.wait_for(calls, 15)
            assert [(c["number"], c["window"], c["call"]) for c in shown] == [
                (t1["number"], "1号窗口", 1),
                (t2["number"], "2号窗口", 1),
                (t1["number"], "1号窗口", 2),
                (t3["number"], "1号窗口", 1),
            ]
            # A screen that reconnects after the second call gets the rest, not the morning again.
            seqs = [s for (s,) in await api.sql("SELECT seq FROM call ORDER BY seq")]
            headers = {**sse, "Last-Event-ID": str(seqs[1])}
            async with http.stream("GET", f"/v1/halls/{hall['id']}/screen/stream", headers=headers) as stream:
                rest = await asyncio.wait_for(read_events(stream.aiter_lines(), 2), 10)
            assert [c["call"] for c in rest] == [2, 1] and rest[1]["number"] == t3["number"]
            unknown = await http.get(f"/v1/halls/{uuid.uuid4()}/screen/stream", headers=sse)
            assert unknown.status_code == 404
            # Not asking for a stream: the state once (what a fuzzer or a status check gets).
            snapshot = (await http.get(f"/v1/halls/{hall['id']}/screen/stream")).json()
            assert [c["number"] for c in snapshot["calls"]] == [t3["number"], t1["number"], t2["number"], t1["number"]]
            assert snapshot["waiting"] == {"A": 0, "B": 0} and snapshot["last_event_id"] == seqs[-1]
