"""A hall changed after it was set up: name, address and opening hours; queues and windows added, renamed,
re-assigned and retired while their tickets and attendance stay; only a staff admin of the hall's region."""

from __future__ import annotations

import uuid


async def test_an_admin_changes_the_hall_and_its_history_stays(api) -> None:
    hall = await api.hall()
    hall_id, window_1, window_3 = hall["id"], api.window(hall, "1号窗口"), api.window(hall, "3号窗口")
    await api.sign_in(window_1)
    served = await api.desk_ticket(hall_id, "A")
    assert (await api.call_next(window_1)).status_code == 200
    assert (
        await api.client.post(f"/v1/windows/{window_1}/tickets/{served['id']}/finish", headers=api.staff())
    ).status_code == 200

    changed = await api.client.patch(
        f"/v1/halls/{hall_id}",
        json={"name": "南宁市民中心（新馆）", "opening_hours": [["09:00", "12:00"], ["13:30", "17:00"]]},
        headers=api.admin(),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "南宁市民中心（新馆）" and body["address"] == "民族大道"
    assert body["opening_hours"] == [["09:00", "12:00"], ["13:30", "17:00"]]

    added = await api.client.post(
        f"/v1/halls/{hall_id}/queues",
        json={"code": "C", "name": "不动产", "priority_groups": ["elderly"]},
        headers=api.admin(),
    )
    assert added.status_code == 201, added.text
    renamed = await api.client.patch(
        f"/v1/halls/{hall_id}/queues/B", json={"name": "企业服务", "no_show_minutes": 5}, headers=api.admin()
    )
    queue_b = next(q for q in renamed.json()["queues"] if q["code"] == "B")
    assert renamed.status_code == 200 and queue_b["name"] == "企业服务" and queue_b["no_show_minutes"] == 5
    window = await api.client.post(
        f"/v1/halls/{hall_id}/windows", json={"name": "5号窗口", "queues": ["C"]}, headers=api.admin()
    )
    assert window.status_code == 201, window.text
    reassigned = await api.client.patch(
        f"/v1/halls/{hall_id}/windows/{window_3}",
        json={"name": "3号窗口（企业）", "queues": ["B", "C"]},
        headers=api.admin(),
    )
    assert reassigned.status_code == 200, reassigned.text
    assert next(w for w in reassigned.json()["windows"] if w["id"] == window_3)["queues"] == ["B", "C"]

    # Retiring: refused while someone is signed in or a ticket waits; then the history stays.
    busy = await api.client.post(f"/v1/halls/{hall_id}/windows/{window_1}/retire", headers=api.admin())
    assert busy.status_code == 409 and busy.json()["type"].endswith(":window-in-use")
    assert (await api.client.post(f"/v1/windows/{window_1}/sign-out", headers=api.staff())).status_code == 200
    retired = await api.client.post(f"/v1/halls/{hall_id}/windows/{window_1}/retire", headers=api.admin())
    assert retired.status_code == 200, retired.text
    assert next(w for w in retired.json()["windows"] if w["id"] == window_1)["retired_at"] is not None
    again = await api.client.post(f"/v1/windows/{window_1}/sign-in", headers=api.staff())
    assert again.status_code == 409 and again.json()["type"].endswith(":window-retired")

    waiting = await api.desk_ticket(hall_id, "C")
    in_use = await api.client.post(f"/v1/halls/{hall_id}/queues/C/retire", headers=api.admin())
    assert in_use.status_code == 409 and in_use.json()["type"].endswith(":queue-in-use")
    await api.sql(
        "UPDATE ticket SET status = 'expired', expired_reason = 'day_end' WHERE id = :i", i=uuid.UUID(waiting["id"])
    )
    gone = await api.client.post(f"/v1/halls/{hall_id}/queues/C/retire", headers=api.admin())
    assert gone.status_code == 200, gone.text
    assert next(q for q in gone.json()["queues"] if q["code"] == "C")["retired_at"] is not None
    assert all("C" not in w["queues"] for w in gone.json()["windows"])
    no_ticket = await api.client.post(f"/v1/halls/{hall_id}/tickets", json={"queue": "C"}, headers=api.staff())
    assert no_ticket.status_code == 409 and no_ticket.json()["type"].endswith(":queue-retired")
    reused = await api.client.post(
        f"/v1/halls/{hall_id}/queues", json={"code": "C", "name": "又一个"}, headers=api.admin()
    )
    assert reused.status_code == 409 and reused.json()["type"].endswith(":code-taken")

    # The finished ticket, its window and the attendance there are all still there.
    ticket = await api.client.get(f"/v1/tickets/{served['id']}", headers=api.staff())
    assert ticket.status_code == 200 and ticket.json()["status"] == "finished" and ticket.json()["number"] == "A001"
    assert await api.sql("SELECT count(*) FROM attendance WHERE window_id = :w", w=uuid.UUID(window_1)) == [(1,)]


async def test_another_regions_admin_and_other_callers_are_refused_and_nothing_changes(api) -> None:
    hall = await api.hall()
    hall_id, window_1 = hall["id"], api.window(hall, "1号窗口")
    before = (await api.client.get(f"/v1/halls/{hall_id}", headers=api.staff())).json()
    others = {
        "another region's admin": api.admin("450200"),
        "a province admin elsewhere": api.admin("440000"),
        "hall staff": api.staff(),
        "a citizen": api.citizen(),
        "a kiosk": api.kiosk(),
    }
    for who, headers in others.items():
        for method, path, body in (
            ("PATCH", f"/v1/halls/{hall_id}", {"name": "改名"}),
            ("POST", f"/v1/halls/{hall_id}/queues", {"code": "Z", "name": "z"}),
            ("PATCH", f"/v1/halls/{hall_id}/queues/A", {"name": "z"}),
            ("POST", f"/v1/halls/{hall_id}/queues/A/retire", None),
            ("POST", f"/v1/halls/{hall_id}/windows", {"name": "z", "queues": ["A"]}),
            ("PATCH", f"/v1/halls/{hall_id}/windows/{window_1}", {"name": "z"}),
            ("POST", f"/v1/halls/{hall_id}/windows/{window_1}/retire", None),
        ):
            resp = await api.client.request(method, path, json=body, headers=headers)
            assert resp.status_code == 403, (who, method, path, resp.status_code)
            assert resp.headers["content-type"].startswith("application/problem+json")
    # A window of another hall named under this hall's path: 404 even for this hall's admin.
    other = await api.hall({**api.HALL, "name": "另一个大厅", "appointment_hall_id": None})
    crossed = await api.client.patch(
        f"/v1/halls/{hall_id}/windows/{api.window(other, '1号窗口')}", json={"name": "偷改"}, headers=api.admin()
    )
    assert crossed.status_code == 404 and crossed.json()["type"].endswith(":window-not-found")
    # Bad input: RFC 9457, nothing written.
    for method, path, body in (
        ("PATCH", f"/v1/halls/{hall_id}", {"opening_hours": [["12:00", "09:00"]]}),
        ("PATCH", f"/v1/halls/{hall_id}", {"opening_hours": [["09:00", "12:00"], ["11:00", "13:00"]]}),
        ("PATCH", f"/v1/halls/{hall_id}", {"opening_hours": [["9:00", "12:00"]]}),
        ("PATCH", f"/v1/halls/{hall_id}", {"region": "450200"}),
        ("PATCH", f"/v1/halls/{hall_id}/queues/a", {"name": "x"}),
        ("PATCH", f"/v1/halls/{hall_id}/queues/A", {"code": "Q"}),
        ("POST", f"/v1/halls/{hall_id}/windows", {"name": "z", "queues": ["Y"]}),
        ("PATCH", f"/v1/halls/{hall_id}/windows/{window_1}", {"queues": []}),
    ):
        resp = await api.client.request(method, path, json=body, headers=api.admin())
        assert resp.status_code in (404, 422), (method, path, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    after = (await api.client.get(f"/v1/halls/{hall_id}", headers=api.staff())).json()
    assert after == before
