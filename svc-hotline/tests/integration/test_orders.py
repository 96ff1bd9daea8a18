"""Work orders on PostgreSQL: record, dispatch by the rules, transfer, sign, extend, answer late (yellow,
then red), call back badly (reopened), answer again, call back well (closed); the caller sealed at rest and
absent from events; what each kind of caller may and may not do."""

from __future__ import annotations

import json
from typing import Any

Hotline = Any  # the conftest's fixture
NANNING, XINGNING, LIUZHOU = "450100", "450102", "450200"
CITY_MANAGEMENT = "11450100MB0C1G2L3X"  # noise, municipal facilities
WATER = "91450100MB0W1A2T3X"
HOUSING_FUND = "12450100MB0G4J5J6X"


async def test_a_call_is_sealed_masked_and_kept_out_of_events(hotline: Hotline) -> None:
    order = await hotline.call()
    assert order["caller_phone_masked"] == "138****5678"
    assert order["caller_name_masked"] == "李*"
    assert order["status"] == "registered" and order["channel"] == "phone"
    assert order["number"].startswith("GX12345-20261207-")
    [row] = await hotline.sql("SELECT caller_phone, caller_name, caller_phone_index FROM work_order")
    assert row.caller_phone.startswith("v1.") and "13812345678" not in row.caller_phone
    assert row.caller_name.startswith("v1.") and "李明" not in row.caller_name
    assert len(row.caller_phone_index) == 64
    events = await hotline.outbox()
    assert [e.type for e in events] == ["hotline.order.created"]
    assert "13812345678" not in json.dumps([e.data for e in events]) and "李明" not in json.dumps(
        [e.data for e in events]
    )
    # The operator calling back reads the number in clear; the reading is in the history.
    caller = await hotline.client.get(f"/v1/orders/{order['id']}/caller", headers=hotline.operator())
    assert caller.json() == {"phone": "13812345678", "name": "李明"}
    again = await hotline.client.get(f"/v1/orders/{order['id']}", headers=hotline.operator())
    assert again.json()["history"][-1]["action"] == "caller_revealed"
    # A caller's earlier orders, by the blind index.
    by_caller = {"caller_phone": "138-1234-5678"}
    found = await hotline.client.post("/v1/orders/by-caller", json=by_caller, headers=hotline.operator())
    assert [o["id"] for o in found.json()["items"]] == [order["id"]]
    # Not for a department's staff, nor an operator of another city (who finds nothing of Nanning's).
    staff = await hotline.client.post("/v1/orders/by-caller", json=by_caller, headers=hotline.staff(CITY_MANAGEMENT))
    assert staff.status_code == 403
    other = await hotline.client.post("/v1/orders/by-caller", json=by_caller, headers=hotline.operator(LIUZHOU))
    assert other.json()["items"] == []


async def test_the_whole_flow_with_deadlines_warnings_reopening_and_figures(hotline: Hotline) -> None:
    order = await hotline.call(
        category="water_supply", title="小区停水三天无人处理", content="兴宁区某小区停水三天，物业说不清楚原因。"
    )
    oid = order["id"]
    # Dispatched by the rule for water supply in Nanning (due in 5 working days: Monday 14 December).
    resp = await hotline.client.post(f"/v1/orders/{oid}/dispatch", json={}, headers=hotline.operator())
    assert resp.status_code == 200, resp.text
    assert (resp.json()["department"], resp.json()["due"], resp.json()["alert"]) == (WATER, "2026-12-14", "none")
    # The water company is not the right one: the centre transfers it once, to city management.
    resp = await hotline.client.post(
        f"/v1/orders/{oid}/transfer",
        json={"department": CITY_MANAGEMENT, "reason": "管网属市政"},
        headers=hotline.operator(),
    )
    assert resp.json()["department"] == CITY_MANAGEMENT and resp.json()["transfer_count"] == 1
    # The water company has no say any more.
    gone = await hotline.client.post(f"/v1/orders/{oid}/sign", headers=hotline.staff(WATER))
    assert gone.status_code == 404
    hotline.clock.at("2026-12-08")
    signed = await hotline.client.post(f"/v1/orders/{oid}/sign", headers=hotline.staff(CITY_MANAGEMENT))
    assert signed.json()["status"] == "signed"
    hotline.clock.at("2026-12-11")  # Friday: one working day left
    assert (await hotline.client.get(f"/v1/orders/{oid}", headers=hotline.operator())).json()["alert"] == "yellow"
    hotline.clock.at("2026-12-15")  # Tuesday: past due
    assert (await hotline.client.get(f"/v1/orders/{oid}", headers=hotline.operator())).json()["alert"] == "red"
    answered = await hotline.client.post(
        f"/v1/orders/{oid}/answer",
        json={"answer": "已安排抢修，当日恢复供水。"},
        headers=hotline.staff(CITY_MANAGEMENT),
    )
    assert answered.json()["status"] == "answered" and answered.json()["alert"] == "none"
    # A bad rating at the callback reopens it with the same department, with the full time again.
    hotline.clock.at("2026-12-16")
    bad = await hotline.client.post(
        f"/v1/orders/{oid}/callback",
        json={"level": 2, "solved": False, "comment": "又停了"},
        headers=hotline.operator(),
    )
    assert (bad.json()["status"], bad.json()["reopen_count"], bad.json()["due"]) == ("dispatched", 1, "2026-12-23")
    await hotline.client.post(f"/v1/orders/{oid}/sign", headers=hotline.staff(CITY_MANAGEMENT))
    hotline.clock.at("2026-12-17")
    await hotline.client.post(
        f"/v1/orders/{oid}/answer", json={"answer": "更换了阀门。"}, headers=hotline.staff(CITY_MANAGEMENT)
    )
    good = await hotline.client.post(
        f"/v1/orders/{oid}/callback", json={"level": 5, "solved": True}, headers=hotline.operator()
    )
    assert (good.json()["status"], good.json()["outcome"]) == ("closed", "rated")
    types = [e.type for e in await hotline.outbox()]
    assert types.count("hotline.order.rated") == 2 and types.count("hotline.order.reopened") == 1
    assert types[-1] == "hotline.order.closed"
    # Figures, computed by hand: city management had 2 stays (transfer, reopen), both signed in time, 2 answers
    # (1 late), 1 order answered, 2 callbacks (1 solved, 1 satisfied), 1 order reopened.
    report = await hotline.client.get(
        "/v1/supervision/departments",
        params={"region": NANNING, "from": "2026-12-01", "to": "2026-12-31"},
        headers=hotline.supervisor(),
    )
    assert report.status_code == 200, report.text
    figures = {d["department"]: d for d in report.json()["departments"]}
    cm = figures[CITY_MANAGEMENT]
    assert (cm["dispatched"], cm["responded_in_time"], cm["answered"], cm["answered_on_time"]) == (2, 2, 2, 1)
    assert (cm["callbacks"], cm["solved"], cm["satisfied"], cm["reopened"]) == (2, 1, 1, 1)
    assert (cm["response_rate"], cm["on_time_rate"], cm["resolution_rate"], cm["satisfaction_rate"], cm["reopen_rate"]) == (
        1.0, 0.5, 0.5, 0.5, 1.0,
    )  # fmt: skip
    # 100 × (0.15·1 + 0.25·0.5 + 0.20·0.5 + 0.30·0.5 + 0.10·0) = 52.5
    assert cm["score"] == 52.5
    water = figures[WATER]
    assert (water["dispatched"], water["responded_in_time"], water["answered"], water["callbacks"]) == (1, 0, 0, 0)


async def test_return_extension_and_redispatch(hotline: Hotline) -> None:
    order = await hotline.call(
        kind="request", category="housing_fund", title="公积金提取被拒", content="租房提取公积金被拒，原因不明。"
    )
    oid = order["id"]
    await hotline.client.post(f"/v1/orders/{oid}/dispatch", json={}, headers=hotline.operator())
    returned = await hotline.client.post(
        f"/v1/orders/{oid}/return", json={"reason": "不属于本中心"}, headers=hotline.staff(HOUSING_FUND)
    )
    assert (returned.status_code, returned.json()["status"], returned.json()["department"]) == (200, "registered", None)
    again = await hotline.client.post(
        f"/v1/orders/{oid}/dispatch", json={"department": HOUSING_FUND}, headers=hotline.operator()
    )
    assert again.json()["history"][-1]["action"] == "redispatch"
    await hotline.client.post(f"/v1/orders/{oid}/sign", headers=hotline.staff(HOUSING_FUND))
    asked = await hotline.client.post(
        f"/v1/orders/{oid}/extension", json={"days": 3, "reason": "需调档"}, headers=hotline.staff(HOUSING_FUND)
    )
    assert asked.json()["extension_request"]["state"] == "requested"
    # The department does not grant its own extension.
    own = await hotline.client.post(
        f"/v1/orders/{oid}/extension/decision", json={"approve": True}, headers=hotline.staff(HOUSING_FUND)
    )
    assert own.status_code == 403
    granted = await hotline.client.post(
        f"/v1/orders/{oid}/extension/decision", json={"approve": True}, headers=hotline.operator()
    )
    assert granted.json()["due"] == "2026-12-17"  # 5 + 3 working days after Monday 7 December
    unknown = await hotline.client.post(
        f"/v1/orders/{oid}/transfer", json={"department": "X1", "reason": "x"}, headers=hotline.operator()
    )
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("no-dispatch-rule")


async def test_spot_answers_emergencies_and_portal_messages(hotline: Hotline) -> None:
    search = await hotline.client.get("/v1/knowledge", params={"q": "租房怎么提取公积金"})
    entry = search.json()["hits"][0]["entry"]
    assert entry["title"] == "租房如何提取住房公积金"
    spot = await hotline.call(
        kind="consultation", category="housing_fund", title="咨询租房提取公积金", content="租房怎么提取公积金",
        answered_on_the_spot={"answer": entry["body"], "knowledge_entry_id": entry["id"]},
    )  # fmt: skip
    assert (spot["status"], spot["outcome"]) == ("closed", "answered_on_the_spot")
    used = await hotline.client.get(f"/v1/knowledge/{entry['id']}")
    assert used.json()["usage_count"] == 1
    fire = await hotline.call(
        urgency="emergency", emergency="fire", title="楼道起火", content="民族大道某小区楼道起火冒烟"
    )
    assert (fire["status"], fire["outcome"]) == ("handed_over", "handed_over")
    assert (await hotline.sql("SELECT line FROM hand_over"))[0].line == "119"
    # A citizen writes through the portal and sees only their own orders.
    body = {
        "kind": "suggestion",
        "category": "public_transport",
        "region": NANNING,
        "title": "建议增开夜班公交",
        "content": "建议增开夜班公交线路",
    }
    mine = await hotline.client.post("/v1/orders", json=body, headers=hotline.citizen())
    assert mine.status_code == 201 and mine.json()["channel"] == "web"
    theirs = await hotline.client.get("/v1/orders", headers=hotline.citizen("citizen-2"))
    assert theirs.json()["items"] == []
    assert (
        await hotline.client.get(f"/v1/orders/{mine.json()['id']}", headers=hotline.citizen("citizen-2"))
    ).status_code == 404
    own = await hotline.client.get("/v1/orders", headers=hotline.citizen())
    assert [o["id"] for o in own.json()["items"]] == [mine.json()["id"]]


async def test_attacks(hotline: Hotline) -> None:
    order = await hotline.call()
    oid = order["id"]
    # An operator of another city neither reads nor dispatches it; a Liuzhou operator cannot record in Nanning.
    assert (await hotline.client.get(f"/v1/orders/{oid}", headers=hotline.operator(LIUZHOU))).status_code == 404
    assert (
        await hotline.client.post(f"/v1/orders/{oid}/dispatch", json={}, headers=hotline.operator(LIUZHOU))
    ).status_code == 404
    body = {
        "kind": "complaint",
        "category": "noise",
        "region": XINGNING,
        "title": "噪音",
        "content": "噪音扰民",
        "caller_phone": "13800000000",
    }
    assert (await hotline.client.post("/v1/orders", json=body, headers=hotline.operator(LIUZHOU))).status_code == 403
    # A department's staff cannot read the caller in clear, nor act before it holds the order.
    assert (
        await hotline.client.get(f"/v1/orders/{oid}/caller", headers=hotline.staff(CITY_MANAGEMENT))
    ).status_code == 404
    await hotline.client.post(f"/v1/orders/{oid}/dispatch", json={}, headers=hotline.operator())
    caller = await hotline.client.get(f"/v1/orders/{oid}/caller", headers=hotline.staff(CITY_MANAGEMENT))
    assert caller.status_code == 403 and "13812345678" not in caller.text
    # A citizen cannot record a call for someone else's number as an operator would, nor forge a recording.
    forged = await hotline.client.post("/v1/orders", json=body | {"recording_ref": "rec-1"}, headers=hotline.citizen())
    assert forged.status_code == 422
    # Without a token: 401; a citizen without the scope: 403; nothing was recorded by either.
    count = len(await hotline.sql("SELECT id FROM work_order"))
    assert (await hotline.client.post("/v1/orders", json=body)).status_code == 401
    no_scope = hotline.issuer.headers("citizen-9", kind="citizen", scopes=["hotline.orders.read"])
    assert (await hotline.client.post("/v1/orders", json=body, headers=no_scope)).status_code == 403
    assert len(await hotline.sql("SELECT id FROM work_order")) == count
    # Another hotline pushes only into its own region, with a key.
    push = hotline.system("hotline.exchange.write", region=LIUZHOU)
    pushed = await hotline.client.post(
        "/v1/exchange/orders", json=body | {"external_ref": "LZ-1"}, headers=push | {"Idempotency-Key": "k-1"}
    )
    assert pushed.status_code == 403
    lz = body | {"external_ref": "LZ-2", "region": "450202", "category": "other"}
    first = await hotline.client.post("/v1/exchange/orders", json=lz, headers=push | {"Idempotency-Key": "k-2"})
    replay = await hotline.client.post("/v1/exchange/orders", json=lz, headers=push | {"Idempotency-Key": "k-2"})
    assert first.status_code == 201 and first.json()["channel"] == "exchange"
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json()["id"] == first.json()["id"]
    assert "13800000000" not in first.text


async def test_overdue_orders_are_escalated_once(hotline: Hotline) -> None:
    from hotline.worker import sweep

    order = await hotline.call(urgency="urgent")
    await hotline.client.post(f"/v1/orders/{order['id']}/dispatch", json={}, headers=hotline.operator())
    assert await sweep(hotline.db, hotline.app.state.hotline) == 0
    hotline.clock.at("2026-12-09")  # urgent: due the next working day (Tuesday 8 December)
    assert await sweep(hotline.db, hotline.app.state.hotline) == 1
    assert await sweep(hotline.db, hotline.app.state.hotline) == 0
    [event] = await hotline.outbox("hotline.order.overdue")
    assert event.data["department"] == CITY_MANAGEMENT and event.data["due"] == "2026-12-08"


async def test_categories_and_rules_are_kept_by_supervisors(hotline: Hotline) -> None:
    rule = {"category": "noise", "region": "450103", "department": "11450103MB0Q1X2S3X", "department_name": "青秀区城管局", "department_region": "450103"}  # fmt: skip
    # A department's staff and another city's supervisor may not; Nanning's supervisor may, for its subtree.
    assert (
        await hotline.client.put("/v1/dispatch-rules", json=rule, headers=hotline.staff(CITY_MANAGEMENT))
    ).status_code == 403
    assert (
        await hotline.client.put("/v1/dispatch-rules", json=rule, headers=hotline.supervisor(LIUZHOU))
    ).status_code == 403
    put = await hotline.client.put("/v1/dispatch-rules", json=rule, headers=hotline.supervisor())
    assert put.status_code == 200, put.text
    # The longest covering region wins: an order in Qingxiu goes to Qingxiu's office, one in Xingning to the city's.
    qingxiu = await hotline.call(region="450103")
    done = await hotline.client.post(f"/v1/orders/{qingxiu['id']}/dispatch", json={}, headers=hotline.operator())
    assert done.json()["department"] == "11450103MB0Q1X2S3X"
    xingning = await hotline.call()
    done = await hotline.client.post(f"/v1/orders/{xingning['id']}/dispatch", json={}, headers=hotline.operator())
    assert done.json()["department"] == CITY_MANAGEMENT
    # Categories are the province's: Nanning's supervisor may not add one, the province's may.
    category = {"name": "燃气安全"}
    assert (
        await hotline.client.put("/v1/categories/gas", json=category, headers=hotline.supervisor())
    ).status_code == 403
    added = await hotline.client.put("/v1/categories/gas", json=category, headers=hotline.supervisor("450000"))
    assert added.json() == {"code": "gas", "name": "燃气安全", "parent": None}
    unknown = await hotline.client.put(
        "/v1/dispatch-rules", json=rule | {"category": "nothing"}, headers=hotline.supervisor()
    )
    assert unknown.status_code == 422
