"""Orders forwarded to a city's 12345 hotline, on PostgreSQL: an operator forwards an order whose matter lies
in a prefecture-level city (``hotline.order.forwarded``, with the matter and never the caller); the city's
answer, closure or return (``exchange.hotline.reply_received``) moves the order on, with its trace; the
province calls back. The asker's rating in evaluation (``evaluation.consultation.rated``) is the callback of
the order their consultation became. Attacks: an unknown city, a city that does not hold the order's region,
a closed order, a department forwarding, another city's reply, a reply the order no longer waits for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from gov_common.testing import eventually
from gov_contracts import Event
from gov_contracts.evaluation import ConsultationRated, ConsultationSubmitted
from gov_contracts.exchange import HotlineReplyReceived
from gov_contracts.testing import envelope

Hotline = Any  # the conftest's fixture
PROVINCE, LIUZHOU, LIUNAN = "450000", "450200", "450204"  # 柳南区, inside Liuzhou
DESK = "12345-450200"
LZ_PLATFORM = "GX/city/11450200MB0000001X/city-platform"
HOUSING_FUND = "12450100MB0G4J5J6X"


async def deliver(hotline: Hotline, *events: Event) -> None:
    bus = hotline.app.state.runtime.bus
    for event in events:
        await bus.publish(type(event).topic, [envelope(event)])


async def liuzhou_call(hotline: Hotline) -> dict[str, Any]:
    """The provincial centre records a Liuzhou caller's noise complaint (201 asserted)."""
    body = {
        "kind": "complaint",
        "category": "noise",
        "region": LIUNAN,
        "title": "工地夜间施工噪音",
        "content": "柳南区航鹰大道工地每晚施工到十二点以后，噪音很大。",
        "address": "柳南区航鹰大道 18 号",
        "caller_phone": "13977112345",
        "caller_name": "韦强",
    }
    resp = await hotline.client.post("/v1/orders", json=body, headers=hotline.operator(PROVINCE))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def forward(hotline: Hotline, order_id: str, city: str = LIUZHOU, **headers: str) -> Any:
    return await hotline.client.post(
        f"/v1/orders/{order_id}/forward",
        json={"city": city, "note": "属柳州市办理"},
        headers=headers or hotline.operator(PROVINCE),
    )


def reply(order: dict[str, Any], outcome: str, *, city: str = LIUZHOU, **over: Any) -> HotlineReplyReceived:
    values: dict[str, Any] = {
        "order_id": order["id"],
        "number": order["number"],
        "city": city,
        "system": LZ_PLATFORM,
        "reply_id": str(uuid.uuid4()),
        "outcome": outcome,
        "answer": "已责令工地晚十点后停止施工，执法队员夜间巡查。" if outcome != "returned" else None,
        "reason": "不属于本市" if outcome == "returned" else None,
        "replied_at": datetime(2026, 12, 8, 3, 0, tzinfo=UTC),  # Tuesday 11:00 in China
    }
    return HotlineReplyReceived(**(values | over))


async def read(hotline: Hotline, order_id: str) -> dict[str, Any]:
    resp = await hotline.client.get(f"/v1/orders/{order_id}", headers=hotline.operator(PROVINCE))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def until(hotline: Hotline, order_id: str, status: str) -> dict[str, Any]:
    async def reached() -> bool:
        return (await read(hotline, order_id))["status"] == status

    await eventually(reached, what=f"the order to be {status}")
    return await read(hotline, order_id)


async def test_a_forwarded_order_is_answered_by_the_city_and_called_back_here(hotline: Hotline) -> None:
    order = await liuzhou_call(hotline)
    oid = order["id"]
    forwarded = await forward(hotline, oid)
    assert forwarded.status_code == 200, forwarded.text
    body = forwarded.json()
    assert (body["status"], body["department"], body["department_name"]) == ("forwarded", DESK, "柳州市 12345 热线")
    assert body["due"] == "2026-12-14" and body["history"][-1]["action"] == "forwarded"
    # What leaves for the city: the matter, never the caller.
    [event] = await hotline.outbox("hotline.order.forwarded")
    assert (event.data["city"], event.data["region"], event.data["content"]) == (LIUZHOU, LIUNAN, order["content"])
    assert "13977112345" not in str(event.data) and "韦强" not in str(event.data) and "韦*" not in str(event.data)
    # Another city's reply, and a reply to an order that is not here, change nothing.
    await deliver(
        hotline, reply(order, "answered", city="450300"), reply(order | {"id": str(uuid.uuid4())}, "answered")
    )
    answer = reply(order, "answered")
    await deliver(hotline, answer, answer)  # delivered twice: applied once
    seen = await until(hotline, oid, "answered")
    assert seen["answer"] == answer.answer and seen["department"] == DESK
    steps = [(s["action"], s["by"]) for s in seen["history"]]
    assert steps[-1] == ("answered", f"city:{LZ_PLATFORM}") and steps.count(("answered", f"city:{LZ_PLATFORM}")) == 1
    [answered] = await hotline.outbox("hotline.order.answered")
    assert (answered.data["department"], answered.data["on_time"]) == (DESK, True)
    # The province calls the caller back; the rating is the city desk's.
    rated = await hotline.client.post(
        f"/v1/orders/{oid}/callback", json={"level": 5, "solved": True}, headers=hotline.operator(PROVINCE)
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text
    [callback] = await hotline.sql("SELECT department, level FROM callback WHERE order_id = :o", o=uuid.UUID(oid))
    assert (callback.department, callback.level) == (DESK, 5)
    # A closure the city sends after that changes nothing.
    await deliver(hotline, reply(order, "closed"))
    assert (await read(hotline, oid))["outcome"] == "rated"


async def test_bad_forwards_are_refused_and_change_nothing(hotline: Hotline) -> None:
    order = await liuzhou_call(hotline)
    oid = order["id"]
    refusals = [
        ("450199", 422),  # no such city
        (PROVINCE, 422),  # the province is not a city
        (LIUNAN, 422),  # a district, not a city
        ("450100", 422),  # Nanning does not hold a Liuzhou matter
        ("110100", 422),  # another province's city
        ("45020", 422),  # not a code (validation)
    ]
    for city, status in refusals:
        resp = await forward(hotline, oid, city)
        assert resp.status_code == status and resp.headers["content-type"] == "application/problem+json", (city, resp)
    # Not an operator of the order's region: a Nanning operator cannot see it, a department may not forward.
    assert (await forward(hotline, oid, LIUZHOU, **hotline.operator("450100"))).status_code == 404
    assert (await forward(hotline, oid, LIUZHOU, **hotline.citizen())).status_code == 404
    assert (await read(hotline, oid))["status"] == "registered"
    assert await hotline.outbox("hotline.order.forwarded") == []
    # A closed order is not forwarded.
    spot = await hotline.call(
        kind="consultation",
        answered_on_the_spot={"answer": "请拨打供水公司热线。"},
    )
    closed = await forward(hotline, spot["id"], "450100", **hotline.operator())
    assert closed.status_code == 409 and closed.json()["current_status"] == "closed", closed.text
    assert await hotline.outbox("hotline.order.forwarded") == []


async def test_the_city_returns_or_closes_a_forwarded_order(hotline: Hotline) -> None:
    order = await liuzhou_call(hotline)
    oid = order["id"]
    assert (await forward(hotline, oid)).status_code == 200
    await deliver(hotline, reply(order, "returned"))
    back = await until(hotline, oid, "registered")
    assert back["department"] is None and back["history"][-1]["note"] == "不属于本市"
    # Forwarded again, closed by the city after its own callback: answered, then closed, in one reply.
    assert (await forward(hotline, oid)).status_code == 200
    await deliver(hotline, reply(order, "closed"))
    done = await until(hotline, oid, "closed")
    assert done["outcome"] == "closed_by_city" and done["answer"]
    [closing] = await hotline.outbox("hotline.order.closed")
    assert closing.data["outcome"] == "closed_by_city"
    # The departments' figures: the desk has one stay returned, one answered.
    stays = await hotline.sql(
        "SELECT ended FROM assignment WHERE order_id = :o AND department = :d ORDER BY assigned_at",
        o=uuid.UUID(oid),
        d=DESK,
    )
    assert [s.ended for s in stays] == ["returned", "answered"]


async def test_the_askers_rating_in_evaluation_is_the_orders_callback(hotline: Hotline) -> None:
    asked = ConsultationSubmitted(
        consultation_id=str(uuid.uuid4()),
        kind="consultation",
        title="公积金贷款额度怎么算",
        question="双职工家庭公积金贷款最高能贷多少？",
        region="450102",
        department=HOUSING_FUND,
        asker_subject="citizen-7",
        asker_kind="citizen",
        asked_at=datetime(2026, 12, 7, 1, 30, tzinfo=UTC),
    )
    await deliver(hotline, asked)

    async def made() -> bool:
        return bool(
            await hotline.sql("SELECT 1 FROM work_order WHERE consultation_id = :c", c=uuid.UUID(asked.consultation_id))
        )

    await eventually(made, what="the consultation's work order")
    [row] = await hotline.sql(
        "SELECT id FROM work_order WHERE consultation_id = :c", c=uuid.UUID(asked.consultation_id)
    )
    oid = str(row.id)

    def rated(level: int, order_id: str = oid) -> ConsultationRated:
        return ConsultationRated(
            consultation_id=asked.consultation_id, order_id=order_id, level=level, asker_subject="citizen-7",
            rated_at=datetime(2026, 12, 8, 2, 0, tzinfo=UTC),
        )  # fmt: skip

    # Rated before the order is answered (it cannot be in evaluation, but a stray event): no callback.
    await deliver(hotline, rated(5))
    await eventually(
        lambda: _history_has(hotline, oid, "rated_in_evaluation"), what="the early rating in the order's history"
    )
    assert await hotline.sql("SELECT 1 FROM callback WHERE order_id = :o", o=row.id) == []
    for step in ("sign", "answer"):
        body = {"answer": "最高 60 万元，按缴存余额计算。"} if step == "answer" else {}
        resp = await hotline.client.post(f"/v1/orders/{oid}/{step}", json=body, headers=hotline.staff(HOUSING_FUND))
        assert resp.status_code == 200, resp.text
    # A rating naming another order changes nothing; the asker's bad rating reopens the order.
    await deliver(hotline, rated(1, str(uuid.uuid4())), rated(2))
    reopened = await until(hotline, oid, "dispatched")
    assert reopened["reopen_count"] == 1 and reopened["department"] == HOUSING_FUND
    [callback] = await hotline.sql("SELECT level, solved, by, department FROM callback WHERE order_id = :o", o=row.id)
    assert (callback.level, callback.solved, callback.by, callback.department) == (
        2,
        False,
        "asker:citizen-7",
        HOUSING_FUND,
    )
    [event] = await hotline.outbox("hotline.order.rated")
    assert (event.data["level"], event.data["rater_subject"]) == (2, "citizen-7")


async def _history_has(hotline: Hotline, order_id: str, action: str) -> bool:
    return any(s["action"] == action for s in (await read(hotline, order_id))["history"])
