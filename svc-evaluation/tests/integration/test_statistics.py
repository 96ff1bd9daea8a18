"""Statistics on PostgreSQL over a fixed data set, every expected value computed by hand below.

Ratings (A = Nanning market regulation, B = Liuzhou; rectification due days counted in working days):
  r1 A 450102 ITEM-1 level 5  2026-03-02
  r2 A 450102 ITEM-1 level 4  2026-03-03
  r3 A 450102 ITEM-1 level 3  2026-03-10
  r4 A 450102 ITEM-1 level 2  2026-03-11  due 04-01, replied 03-20 (on time), confirmed   -> rectified
  r5 A 450102 ITEM-1 level 1  2026-04-01  due 04-23 (Qingming 04-04..06 off), replied 04-24 (late)
  r6 A 450103 ITEM-2 level 5  2026-04-02
  r7 B 450202 ITEM-3 level 5  2026-03-05
  r8 B 450202 ITEM-3 level 1  2026-03-06  due 03-27, never replied (past due on "today" 05-06)
  r9 B 450202 ITEM-3 level 2  2026-04-03  appeal upheld -> excluded from everything
Consultations:
  c1 A consultation 2026-03-02, due 03-09 (5 wd), answered 03-05 (on time), satisfaction 5
  c2 A complaint    2026-03-02, due 03-16 (10 wd), answered 03-20 (late), satisfaction 2
  c3 B consultation 2026-03-06, due 03-13, unanswered (past due)
  c4 B consultation 2026-04-28, due 05-08 (May Day 05-01..05 off), unanswered, not yet due
Statistics are asked on 2026-05-06.
"""

from __future__ import annotations

from typing import Any

import pytest

REPLY = {"verification": "v", "measures": "m", "reply": "r"}


async def rate(api, day: str, who: str, level: int, dept: str, region: str, item: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    case = await api.complete_case(applicant=who, department=dept, region=region, item_code=item)
    api.clock.china(day)
    resp = await api.rate(case["case_id"], level, who=who)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def ask(api, day: str, who: str, kind: str, dept: str, region: str) -> str:  # type: ignore[no-untyped-def]
    api.clock.china(day)
    body = {"kind": kind, "title": "问题", "question": "需要哪些材料？", "region": region, "department": dept}
    resp = await api.client.post("/v1/consultations", json=body, headers=api.citizen(who))
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


@pytest.fixture
async def data_set(api):  # type: ignore[no-untyped-def]
    a, b = api.DEPT_A, api.DEPT_B
    staff_a, staff_b = api.staff(department=a), api.staff(department=b, region="450200")
    await rate(api, "2026-03-02", "u1", 5, a, "450102", "ITEM-1")
    await rate(api, "2026-03-03", "u2", 4, a, "450102", "ITEM-1")
    await rate(api, "2026-03-10", "u3", 3, a, "450102", "ITEM-1")
    r4 = await rate(api, "2026-03-11", "u4", 2, a, "450102", "ITEM-1")
    r5 = await rate(api, "2026-04-01", "u5", 1, a, "450102", "ITEM-1")
    await rate(api, "2026-04-02", "u6", 5, a, "450103", "ITEM-2")
    await rate(api, "2026-03-05", "u7", 5, b, "450202", "ITEM-3")
    r8 = await rate(api, "2026-03-06", "u8", 1, b, "450202", "ITEM-3")
    r9 = await rate(api, "2026-04-03", "u9", 2, b, "450202", "ITEM-3")

    async def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        resp = await api.client.post(url, json=body, headers=headers)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    rect = "/v1/rectifications/{}/{}".format
    api.clock.china("2026-03-20")
    assert (await post(rect(r4["rectification_id"], "reply"), REPLY, staff_a))["replied_on_time"] is True
    await post(rect(r4["rectification_id"], "confirm"), {}, api.citizen("u4"))
    api.clock.china("2026-04-24")
    assert (await post(rect(r5["rectification_id"], "reply"), REPLY, staff_a))["replied_on_time"] is False
    await post(rect(r9["rectification_id"], "appeal"), {"reason": "恶意"}, staff_b)
    await post(rect(r9["rectification_id"], "appeal-decision"), {"decision": "upheld"}, api.supervisor("450200"))
    r8_rect = await api.client.get(f"/v1/rectifications/{r8['rectification_id']}", headers=staff_b)
    assert r8_rect.json()["due"] == "2026-03-27"

    c1 = await ask(api, "2026-03-02", "u1", "consultation", a, "450102")
    c2 = await ask(api, "2026-03-02", "u2", "complaint", a, "450102")
    await ask(api, "2026-03-06", "u7", "consultation", b, "450202")
    c4 = await ask(api, "2026-04-28", "u8", "consultation", b, "450202")
    assert (await api.client.get(f"/v1/consultations/{c4}", headers=api.citizen("u8"))).json()["due"] == "2026-05-08"
    api.clock.china("2026-03-05")
    await api.answer_in_hotline(c1, "见清单")  # answered as 12345 work orders (小热线融合)
    assert (await api.client.get(f"/v1/consultations/{c1}", headers=staff_a)).json()["answered_on_time"] is True
    api.clock.china("2026-03-20")
    await api.answer_in_hotline(c2, "已处理")
    assert (await api.client.get(f"/v1/consultations/{c2}", headers=staff_a)).json()["answered_on_time"] is False
    await post(f"/v1/consultations/{c1}/satisfaction", {"level": 5}, api.citizen("u1"))
    await post(f"/v1/consultations/{c2}/satisfaction", {"level": 2}, api.citizen("u2"))
    api.clock.china("2026-05-06")
    return api


def by_key(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


async def stats(api, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = await api.client.get(
        "/v1/statistics", params=params, headers=headers or api.system("evaluation.ratings.read", subject="dashboard")
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_statistics_by_department(data_set) -> None:
    api = data_set
    body = await stats(api, group_by="department")
    rows = by_key(body)
    assert list(rows) == sorted([api.DEPT_A, api.DEPT_B])
    a, b = rows[api.DEPT_A], rows[api.DEPT_B]
    assert a["ratings"] == {"total": 6, "by_level": {"5": 2, "4": 1, "3": 1, "2": 1, "1": 1}, "satisfied": 4, "bad": 2}
    assert a["satisfaction_rate"] == 0.6667
    assert a["rectifications"] == {"total": 2, "rectified": 1, "measured": 2, "on_time": 1}
    assert (a["rectification_rate"], a["timeliness_rate"]) == (0.5, 0.5)
    assert a["consultations"] == {"total": 2, "answered": 2, "measured": 2, "on_time": 1, "judged": 2, "satisfied": 1}
    assert a["consultation_on_time_rate"] == 0.5

    assert b["ratings"] == {"total": 2, "by_level": {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1}, "satisfied": 1, "bad": 1}
    assert b["satisfaction_rate"] == 0.5
    assert b["rectifications"] == {"total": 1, "rectified": 0, "measured": 1, "on_time": 0}
    assert (b["rectification_rate"], b["timeliness_rate"]) == (0.0, 0.0)
    assert b["consultations"] == {"total": 2, "answered": 0, "measured": 1, "on_time": 0, "judged": 0, "satisfied": 0}
    assert b["consultation_on_time_rate"] == 0.0

    t = body["totals"]
    assert (t["ratings"]["total"], t["ratings"]["satisfied"], t["satisfaction_rate"]) == (8, 5, 0.625)
    assert t["rectifications"] == {"total": 3, "rectified": 1, "measured": 3, "on_time": 1}
    assert (t["rectification_rate"], t["timeliness_rate"]) == (0.3333, 0.3333)
    consultations = t["consultations"]
    assert (consultations["measured"], consultations["on_time"], t["consultation_on_time_rate"]) == (3, 1, 0.3333)


async def test_statistics_by_month_and_period(data_set) -> None:
    api = data_set
    rows = by_key(await stats(api, group_by="month"))
    march, april = rows["2026-03"], rows["2026-04"]
    assert (march["ratings"]["total"], march["ratings"]["satisfied"], march["satisfaction_rate"]) == (6, 4, 0.6667)
    assert march["rectifications"] == {"total": 2, "rectified": 1, "measured": 2, "on_time": 1}
    assert (april["ratings"]["total"], april["ratings"]["satisfied"], april["satisfaction_rate"]) == (2, 1, 0.5)
    assert april["rectifications"] == {"total": 1, "rectified": 0, "measured": 1, "on_time": 0}
    assert march["consultations"]["total"] == 3 and april["consultations"]["total"] == 1
    assert april["consultations"]["measured"] == 0, "c4 is not due yet"

    march_only = await stats(api, group_by="none", **{"from": "2026-03-01", "to": "2026-03-31"})
    (row,) = march_only["rows"]
    assert row["key"] is None and row["ratings"]["total"] == 6 and row["satisfaction_rate"] == 0.6667
    assert march_only["totals"]["ratings"]["by_level"] == {"5": 2, "4": 1, "3": 1, "2": 1, "1": 1}


async def test_statistics_by_region_and_item(data_set) -> None:
    api = data_set
    rows = by_key(await stats(api, group_by="region", region="450100"))
    assert list(rows) == ["450102", "450103"]
    assert (rows["450102"]["ratings"]["total"], rows["450102"]["satisfaction_rate"]) == (5, 0.6)
    assert (rows["450103"]["ratings"]["total"], rows["450103"]["satisfaction_rate"]) == (1, 1.0)
    items = by_key(await stats(api, group_by="item"))
    assert {k: v["ratings"]["total"] for k, v in items.items()} == {"ITEM-1": 5, "ITEM-2": 1, "ITEM-3": 2, None: 0}
    only = await stats(api, group_by="department", item_code="ITEM-3")
    assert [r["key"] for r in only["rows"]] == [api.DEPT_B]


async def test_who_sees_which_statistics(data_set) -> None:
    api = data_set
    mine = await stats(api, api.staff(department=api.DEPT_A), group_by="department")
    assert [r["key"] for r in mine["rows"]] == [api.DEPT_A], "handling staff see their own department"
    supervisor = await stats(api, api.supervisor("450200"), group_by="department")
    assert [r["key"] for r in supervisor["rows"]] == [api.DEPT_B], "a supervisor sees the region subtree"

    async def refused(headers: dict[str, str], status: int, slug: str, **params: Any) -> None:
        resp = await api.client.get("/v1/statistics", params=params, headers=headers)
        assert resp.status_code == status, resp.text
        assert resp.json()["type"] == f"urn:gov-platform:problem:{slug}"

    await refused(api.citizen("u1"), 403, "forbidden")
    await refused(api.staff(department=api.DEPT_A), 403, "outside-your-scope", department=api.DEPT_B)
    await refused(api.supervisor("450200"), 403, "outside-your-scope", region="450100")
    await refused(api.system(), 403, "insufficient-scope")
    city = api.issuer.headers("city-450200", kind="system", scopes=["evaluation.ratings.read"], region="450200")
    await refused(city, 403, "outside-your-scope", region="450100")
    own_city = await stats(api, city, group_by="department")
    assert [r["key"] for r in own_city["rows"]] == [api.DEPT_B], "a system of a region reads that region's"

    await refused(
        api.system("evaluation.ratings.read"), 422, "invalid-period", **{"from": "2026-04-01", "to": "2026-03-01"}
    )
    await refused(api.system("evaluation.ratings.read"), 422, "validation-error", group_by="week")


async def test_public_ranking_of_departments(data_set) -> None:
    api = data_set
    resp = await api.client.get("/v1/rankings/departments")  # no token: public
    assert resp.status_code == 200, resp.text
    rows = resp.json()["rows"]
    assert [(r["rank"], r["department"], r["ratings"], r["satisfaction_rate"]) for r in rows] == [
        (1, api.DEPT_A, 6, 0.6667),
        (2, api.DEPT_B, 2, 0.5),
    ]
    assert set(rows[0]) == {
        "rank",
        "department",
        "ratings",
        "satisfaction_rate",
        "bad",
        "rectification_rate",
        "timeliness_rate",
    }
    few = await api.client.get("/v1/rankings/departments", params={"min_ratings": 3, "region": "450000"})
    assert [r["department"] for r in few.json()["rows"]] == [api.DEPT_A]
    liuzhou = await api.client.get("/v1/rankings/departments", params={"region": "450200"})
    assert [r["department"] for r in liuzhou.json()["rows"]] == [api.DEPT_B]
