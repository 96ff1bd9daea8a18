"""GET /v1/figures: a day's figures of every hall of a region subtree in one request, the same numbers as each
hall's own ``GET /v1/halls/{id}/figures``, in a constant number of SQL statements whatever the number of halls;
another region's halls never show, another region is refused, bad input is problem+json."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from hall.models import Kiosk, KioskPrint, RealNameCheck

# The hall-wide keys both endpoints give (the per-hall one also breaks them down by queue, window and hour).
SHARED = ("day", "total", "waiting", "kiosk_prints", "appointments", "appointment_punctuality")
QINGXIU = {
    "name": "青秀区政务服务中心",
    "region": "450103",
    "address": "东葛路",
    "queues": [{"code": "B", "name": "企业开办"}],
    "windows": [{"name": "3号窗口", "queues": ["B"]}],
}
LIUZHOU = {**QINGXIU, "name": "柳州市政务服务中心", "region": "450200", "address": "潭中路"}

_statements: ContextVar[list[str] | None] = ContextVar("statements", default=None)


@contextmanager
def statements_of(api: Any) -> Iterator[list[str]]:
    """The SQL statements the requests made inside the block send (the context variable keeps out what the
    service's background tasks, such as the outbox relay, send meanwhile)."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        into = _statements.get()
        if into is not None:
            into.append(statement)

    engine = api.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", on_execute)
    token = _statements.set(seen)
    try:
        yield seen
    finally:
        _statements.reset(token)
        sa.event.remove(engine, "before_cursor_execute", on_execute)


async def printed(api: Any, hall_id: str, count: int) -> None:
    """``count`` kiosk prints today at the hall, as the kiosk print flow records them (tested with it)."""
    async with api.db.transaction() as session:
        kiosk = Kiosk(
            id=uuid.uuid4(),
            hall_id=uuid.UUID(hall_id),
            client_id=f"kiosk-{uuid.uuid4().hex[:8]}",
            name="一楼自助机",
            active=True,
            registered_by="admin-1",
            registered_at=api.clock.now,
        )
        check = RealNameCheck(
            id=uuid.uuid4(), kiosk_id=kiosk.id, method="id_card", passed=True, checked_at=api.clock.now
        )
        session.add(kiosk)
        await session.flush()
        session.add(check)
        await session.flush()
        session.add_all(
            KioskPrint(
                id=uuid.uuid4(),
                kiosk_id=kiosk.id,
                hall_id=kiosk.hall_id,
                real_name_check_id=check.id,
                license_id=f"lic-{i}",
                document_type="营业执照",
                day=api.clock.now.date(),
                printed_at=api.clock.now,
            )
            for i in range(count)
        )


async def busy_nanning_day(api: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Nanning's civic centre (served, skipped, two appointments, kiosk prints), Qingxiu's centre (one served,
    two waiting) and Liuzhou's (one waiting); times with fractions of a second, as real ones have."""
    nanning = await api.hall()
    qingxiu = await api.hall(QINGXIU)
    liuzhou = (await api.client.post("/v1/halls", json=LIUZHOU, headers=api.admin("450200"))).json()
    one, three = api.window(nanning, "1号窗口"), api.window(qingxiu, "3号窗口")
    await api.sign_in(one)
    await api.sign_in(three, "staff-2")
    t1 = await api.desk_ticket(nanning["id"], "A")
    api.clock.advance(seconds=0.6)
    t2 = await api.desk_ticket(nanning["id"], "A")
    for reference in (
        await api.book(slot_start=api.clock.now + timedelta(minutes=10)),  # in time
        await api.book(slot_start=api.clock.now - timedelta(minutes=5)),  # late
    ):
        resp = await api.client.post(
            f"/v1/halls/{nanning['id']}/check-ins", json={"reference": reference, "queue": "A"}, headers=api.citizen()
        )
        assert resp.status_code == 201, resp.text
    q1 = await api.desk_ticket(qingxiu["id"], "B")
    api.clock.advance(minutes=6, seconds=0.7)
    assert (await api.call_next(three, "staff-2")).json()["ticket"]["id"] == q1["id"]
    await api.client.post(f"/v1/windows/{three}/tickets/{q1['id']}/start", headers=api.staff("staff-2"))
    await api.desk_ticket(qingxiu["id"], "B")
    await api.desk_ticket(qingxiu["id"], "B")
    api.clock.advance(minutes=3, seconds=0.35)
    await api.client.post(f"/v1/windows/{three}/tickets/{q1['id']}/finish", headers=api.staff("staff-2"))
    for _ in (t1, t2):
        called = (await api.call_next(one)).json()["ticket"]
        api.clock.advance(seconds=0.45)
        await api.client.post(f"/v1/windows/{one}/tickets/{called['id']}/start", headers=api.staff())
        api.clock.advance(minutes=4, seconds=0.9)
        await api.client.post(f"/v1/windows/{one}/tickets/{called['id']}/finish", headers=api.staff())
    skipped = (await api.call_next(one)).json()["ticket"]
    await api.client.post(f"/v1/windows/{one}/tickets/{skipped['id']}/skip", headers=api.staff())
    liuzhou_staff = api.staff("staff-lz", region="450200")
    taken = await api.client.post(f"/v1/halls/{liuzhou['id']}/tickets", json={"queue": "B"}, headers=liuzhou_staff)
    assert taken.status_code == 201, taken.text
    return nanning, qingxiu, liuzhou


async def assert_same_as_each_hall(api: Any, listed: dict[str, Any], headers: dict[str, str], day: str = "") -> None:
    query = f"?day={day}" if day else ""
    for item in listed["items"]:
        own = await api.client.get(f"/v1/halls/{item['hall_id']}/figures{query}", headers=headers)
        assert own.status_code == 200, own.text
        assert {k: item[k] for k in SHARED} == {k: own.json()[k] for k in SHARED}, item["name"]


async def test_a_regions_figures_are_each_halls_own_and_only_its_halls(api) -> None:
    nanning, qingxiu, liuzhou = await busy_nanning_day(api)
    await printed(api, nanning["id"], 2)
    resp = await api.client.get("/v1/figures", headers=api.supervisor())
    assert resp.status_code == 200, resp.text
    listed = resp.json()
    assert [(i["hall_id"], i["name"], i["region"]) for i in listed["items"]] == [
        (nanning["id"], nanning["name"], "450100"),
        (qingxiu["id"], qingxiu["name"], "450103"),
    ]
    assert listed["next_cursor"] is None
    await assert_same_as_each_hall(api, listed, api.supervisor())
    by_name = {i["name"]: i for i in listed["items"]}
    civic, centre = by_name[nanning["name"]], by_name[qingxiu["name"]]
    assert civic["day"] == "2026-12-07" and civic["kiosk_prints"] == 2 and centre["kiosk_prints"] == 0
    assert civic["total"]["issued"] == 4 and civic["total"]["no_shows"] == 1 and civic["waiting"] == 1
    assert (civic["appointments"], civic["appointment_punctuality"]) == (2, 0.5)
    assert centre["total"]["issued"] == 3 and centre["total"]["finished"] == 1 and centre["waiting"] == 2
    assert centre["total"]["average_service_seconds"] == 180.0  # 3 min 0.35 s, cut to whole seconds
    # A narrower region of one's own; an earlier day (nothing happened: zeros, as each hall's own says).
    qingxiu_only = await api.client.get("/v1/figures", params={"region": "450103"}, headers=api.supervisor())
    assert [i["hall_id"] for i in qingxiu_only.json()["items"]] == [qingxiu["id"]]
    earlier = (await api.client.get("/v1/figures?day=2026-12-06", headers=api.supervisor())).json()
    assert [i["total"]["issued"] for i in earlier["items"]] == [0, 0]
    await assert_same_as_each_hall(api, earlier, api.supervisor(), "2026-12-06")
    # Every kind of figures reader sees their own subtree: Liuzhou's supervisor, Nanning's hall staff, a
    # platform administrator (everything).
    theirs = await api.client.get("/v1/figures", headers=api.supervisor("450200"))
    assert [i["hall_id"] for i in theirs.json()["items"]] == [liuzhou["id"]]
    staff = await api.client.get("/v1/figures", headers=api.staff())
    assert [i["hall_id"] for i in staff.json()["items"]] == [nanning["id"], qingxiu["id"]]
    platform = api.issuer.headers("root", kind="staff", roles=["platform_admin"])
    assert len((await api.client.get("/v1/figures", headers=platform)).json()["items"]) == 3


async def test_another_region_and_callers_without_the_right_are_refused(api) -> None:
    await busy_nanning_day(api)
    for region in ("450200", "450000"):  # a sibling, and the province above the supervisor's city
        refused = await api.client.get("/v1/figures", params={"region": region}, headers=api.supervisor())
        assert refused.status_code == 403 and refused.json()["type"].endswith(":not-hall-staff"), region
        assert refused.headers["content-type"] == "application/problem+json"
    no_scope = api.issuer.headers(
        "sup-1", kind="staff", roles=["supervisor"], region="450100", scopes=["hall.tickets.take"]
    )
    lacking = await api.client.get("/v1/figures", headers=no_scope)
    assert lacking.status_code == 403 and lacking.json()["type"].endswith(":insufficient-scope")
    assert (await api.client.get("/v1/figures", headers=api.citizen())).status_code == 403
    # The scope without a figures role (a reviewer), or a supervisor of no region, reads nothing.
    reviewer = api.issuer.headers(
        "rev-1", kind="staff", roles=["reviewer"], region="450100", scopes=["hall.figures.read"]
    )
    assert (await api.client.get("/v1/figures", headers=reviewer)).status_code == 403
    nowhere = api.issuer.headers("sup-x", kind="staff", roles=["supervisor"])
    assert (await api.client.get("/v1/figures", headers=nowhere)).status_code == 403
    assert (await api.client.get("/v1/figures")).status_code == 401


async def test_bad_input_is_a_problem(api) -> None:
    await api.hall()
    for params in (
        {"region": "45'--"},
        {"region": "4501"},
        {"day": "2026-02-30"},
        {"day": "20261207"},  # a number is no ISO date
        {"limit": "0"},
        {"limit": "101"},
    ):
        resp = await api.client.get("/v1/figures", params=params, headers=api.supervisor())
        assert resp.status_code == 422, (params, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    forged = await api.client.get("/v1/figures", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=api.supervisor())
    assert forged.status_code == 400 and forged.json()["type"].endswith(":invalid-cursor")


async def test_pages_follow_the_cursor(api) -> None:
    made = [await api.hall({**QINGXIU, "name": f"大厅{i}"}) for i in range(3)]
    made.append(await api.hall())  # 450100 sorts before 450103
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(made)):
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/figures", params=params, headers=api.supervisor())).json()
        seen += [i["name"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None and seen == ["南宁市民中心", "大厅0", "大厅1", "大厅2"]


async def _statements_for(api: Any, halls: int) -> list[str]:
    """The statements of one request for the figures of Qingxiu's ``halls`` halls (made up to that number),
    each with a ticket and a kiosk print."""
    made = (await api.client.get("/v1/figures", params={"region": "450103"}, headers=api.supervisor())).json()
    for i in range(len(made["items"]), halls):
        hall = await api.hall({**QINGXIU, "name": f"测试大厅{i}"})
        await api.desk_ticket(hall["id"], "B")
        await printed(api, hall["id"], 1)
    with statements_of(api) as statements:
        resp = await api.client.get("/v1/figures", params={"region": "450103"}, headers=api.supervisor())
    assert resp.status_code == 200 and len(resp.json()["items"]) == halls
    assert all(i["total"]["issued"] == 1 and i["kiosk_prints"] == 1 for i in resp.json()["items"])
    return statements


async def test_the_statements_of_one_request_do_not_grow_with_the_halls(api) -> None:
    two = await _statements_for(api, 2)
    six = await _statements_for(api, 6)
    print(f"SQL statements of GET /v1/figures: {len(two)} for 2 halls, {len(six)} for 6 halls")
    assert 1 <= len(two) == len(six) <= 2, (two, six)


async def test_the_embedded_default_gives_the_same_figures(serve_hall_on_sqlite) -> None:
    async with serve_hall_on_sqlite() as api:
        await busy_nanning_day(api)
        listed = (await api.client.get("/v1/figures", headers=api.supervisor())).json()
        assert len(listed["items"]) == 2
        await assert_same_as_each_hall(api, listed, api.supervisor())
