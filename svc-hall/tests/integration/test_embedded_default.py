"""The hall on ``make run``'s embedded default (SQLite and the embedded event log): numbers, calling by
the rule and finishing work the same (SQLite serialises writers, so no row lock is needed there)."""

from __future__ import annotations


async def test_tickets_and_calling_on_sqlite(serve_hall_on_sqlite) -> None:
    async with serve_hall_on_sqlite() as api:
        hall = await api.hall()
        one = api.window(hall, "1号窗口")
        await api.sign_in(one)
        walk_in = await api.desk_ticket(hall["id"], "A")
        elderly = await api.desk_ticket(hall["id"], "A", priority_group="elderly")
        assert [walk_in["number"], elderly["number"]] == ["A001", "A002"]
        first = (await api.call_next(one)).json()["ticket"]
        assert first["id"] == elderly["id"]
        done = await api.client.post(f"/v1/windows/{one}/tickets/{first['id']}/finish", headers=api.staff())
        assert done.status_code == 200 and done.json()["ticket"]["status"] == "finished"
        assert (await api.call_next(one)).json()["ticket"]["id"] == walk_in["id"]
