"""Supervision orders (督办): a supervisor of the region (or above) orders, the department's staff reply,
unanswered orders go one level up the region tree, and every step is in the case's trace, the events and
the supervision figures. Who may issue, see and reply, tried from the wrong side."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from gov_contracts.workflow import (
    SupervisionOrderEscalated,
    SupervisionOrderIssued,
    SupervisionOrderReplied,
)
from workflow.models import SupervisionOrder

from ..conftest import LIUZHOU, LZ_MARKET, NANNING, NN_MARKET, Env, submitted

ACCEPT = {"action": "accept", "opinion": "予以受理"}
PROVINCE_OFFICE = "11450000MB0000000X"
OTHER_NN_DEPARTMENT = "11450100MB1234567X"
ORDERS = "/v1/supervision/orders"


def supervisor(env: Env, region: str = NANNING, subject: str | None = None) -> dict[str, str]:
    return env.staff("supervisor", region=region, department=PROVINCE_OFFICE, subject=subject or f"sup-{region}")


async def order_count(env: Env) -> int:
    async with env.db.transaction() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(SupervisionOrder)) or 0)


async def test_an_order_is_issued_answered_late_escalated_and_counted(env: Env) -> None:
    case = await env.submit(submitted())  # Tue 10 Feb 2026
    await env.act(case.id, "accept", "acceptor", ACCEPT)
    city = supervisor(env)
    issued = await env.client.post(
        ORDERS,
        json={"target": "case", "case_id": str(case.id), "reason": "群众反映办理缓慢，请说明原因", "working_days": 2},
        headers=city,
    )
    assert issued.status_code == 201, issued.text
    order = issued.json()
    assert issued.headers["location"].endswith(f"{ORDERS}/{order['id']}")
    assert (order["deadline"], order["holder_region"], order["status"]) == ("2026-02-12", NANNING, "open")
    assert (order["department"], order["region"]) == (NN_MARKET, NANNING)
    # The order names its case as people know it, so a list needs no read per case.
    assert (order["tracking_number"], order["item_name"]) == (case.tracking_number, case.item_name)

    # Fri 13 Feb: unanswered past Thu 12 → one level up (the province); the new deadline counts 2 working days
    # on the calendar: Sat 14 Feb is a make-up working day, 15-23 Feb the Spring Festival, so Tue 24 Feb.
    province = supervisor(env, "450000")
    sweep = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-13T10:00:00+08:00"}, headers=province
    )
    assert sweep.status_code == 200 and sweep.json()["orders_escalated"] == 1
    again = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-13T11:00:00+08:00"}, headers=province
    )
    assert again.json()["orders_escalated"] == 0, "escalated once per missed deadline"
    # Past the new deadline the province holds it: there is no level above, it stays overdue.
    top = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-25T10:00:00+08:00"}, headers=province
    )
    assert top.json()["orders_escalated"] == 0
    env.clock.at = env.clock.at.replace(month=2, day=25, hour=2)  # 10:00 in China on Wed 25 Feb
    held = (await env.client.get(f"{ORDERS}/{order['id']}", headers=province)).json()
    assert (held["holder_region"], held["escalations"], held["deadline"]) == ("450000", 1, "2026-02-24")
    assert held["overdue"] is True
    overdue = (await env.client.get(f"{ORDERS}?overdue=true", headers=province)).json()["items"]
    assert [(o["id"], o["tracking_number"]) for o in overdue] == [(order["id"], case.tracking_number)]

    staff = env.staff("acceptor")
    replied = await env.client.post(f"{ORDERS}/{order['id']}/reply", json={"reply": "已加快办理"}, headers=staff)
    assert replied.status_code == 200, replied.text
    assert (replied.json()["status"], replied.json()["late"], replied.json()["overdue"]) == ("replied", True, False)
    twice = await env.client.post(f"{ORDERS}/{order['id']}/reply", json={"reply": "再次回复"}, headers=staff)
    assert twice.status_code == 409 and twice.json()["type"].endswith("supervision-order-replied")
    assert [h["action"] for h in replied.json()["history"]] == ["issued", "escalated", "replied"]

    # The case's trace holds the three steps, and its chain still verifies.
    trace = (await env.client.get(f"/v1/cases/{case.id}/trace", headers=staff)).json()
    steps = [e["action"] for e in trace["entries"] if e["action"].startswith("supervision_order")]
    assert steps == ["supervision_order_issued", "supervision_order_escalated", "supervision_order_replied"]
    verified = (await env.client.get(f"/v1/cases/{case.id}/trace/verification", headers=staff)).json()
    assert verified["valid"] is True
    assert await env.event_types(uuid.UUID(order["id"])) == [
        SupervisionOrderIssued.type,
        SupervisionOrderEscalated.type,
        SupervisionOrderReplied.type,
    ]
    escalated = SupervisionOrderEscalated.model_validate(
        await env.event_data(uuid.UUID(order["id"]), SupervisionOrderEscalated.type)
    )
    assert (escalated.from_region, escalated.to_region, escalated.case and escalated.case.id) == (
        NANNING,
        "450000",
        str(case.id),
    )

    summary = (await env.client.get("/v1/supervision/summary", headers=province)).json()
    assert summary["orders"] == {
        "issued": 1,
        "open": 0,
        "overdue": 0,
        "replied": 1,
        "replied_late": 1,
        "escalated": 1,
    }
    liuzhou = (await env.client.get("/v1/supervision/summary", headers=supervisor(env, LIUZHOU))).json()
    assert liuzhou["orders"]["issued"] == 0


async def test_who_may_issue_see_and_reply(env: Env) -> None:
    on_department = {
        "target": "department",
        "department": NN_MARKET,
        "region": NANNING,
        "reason": "近期超期办件较多，请整改",
        "working_days": 5,
    }
    # Not a supervisor of the region: a Liuzhou supervisor, a county supervisor below it, staff, a citizen.
    for headers, status in (
        (supervisor(env, LIUZHOU), 403),
        (supervisor(env, "450103"), 403),
        (env.staff("acceptor", "reviewer", "approver"), 403),
        (env.citizen(), 403),
    ):
        refused = await env.client.post(ORDERS, json=on_department, headers=headers)
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    # A case of Nanning ordered by Liuzhou's supervisor is not found (as for any read), nothing written.
    case = await env.submit(submitted())
    hidden = await env.client.post(
        ORDERS,
        json={"target": "case", "case_id": str(case.id), "reason": "x", "working_days": 1},
        headers=supervisor(env, LIUZHOU),
    )
    assert hidden.status_code == 404 and hidden.json()["type"].endswith("case-not-found")
    unknown = await env.client.post(
        ORDERS,
        json={"target": "external_case", "case_id": str(uuid.uuid4()), "reason": "x", "working_days": 1},
        headers=supervisor(env),
    )
    assert unknown.status_code == 404
    assert await order_count(env) == 0

    key = {"Idempotency-Key": "order-nn-market-1"}
    first = await env.client.post(ORDERS, json=on_department, headers=supervisor(env, "450000") | key)
    replay = await env.client.post(ORDERS, json=on_department, headers=supervisor(env, "450000") | key)
    assert first.status_code == replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"] and replay.headers["idempotent-replayed"] == "true"
    assert await order_count(env) == 1
    order_id = first.json()["id"]
    url = f"{ORDERS}/{order_id}"

    # Seeing: supervisors of the subtree and the ordered department's staff; nobody else, not even by id.
    own_staff = env.staff("acceptor")
    assert (await env.client.get(url, headers=supervisor(env))).status_code == 200
    assert (await env.client.get(url, headers=own_staff)).status_code == 200
    outsiders: list[dict[str, str]] = [
        supervisor(env, LIUZHOU),
        supervisor(env, "450103"),  # below the ordered region: outside their subtree
        env.staff("acceptor", region=LIUZHOU, department=LZ_MARKET),
        env.staff("acceptor", department=OTHER_NN_DEPARTMENT),
        env.staff("acceptor", region=LIUZHOU, department=NN_MARKET),  # the code, forged into another region
    ]
    for headers in outsiders:
        assert (await env.client.get(url, headers=headers)).status_code == 404
        listed = await env.client.get(ORDERS, headers=headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
        reply = await env.client.post(f"{url}/reply", json={"reply": "不是我们的"}, headers=headers)
        assert reply.status_code == 404
    assert (await env.client.get(ORDERS, headers=env.citizen())).status_code == 403
    assert [o["id"] for o in (await env.client.get(ORDERS, headers=own_staff)).json()["items"]] == [order_id]

    # Replying: the department's staff only (a supervisor who sees it may not answer for the department).
    by_supervisor = await env.client.post(f"{url}/reply", json={"reply": "代答"}, headers=supervisor(env))
    assert by_supervisor.status_code == 403
    answered = await env.client.post(f"{url}/reply", json={"reply": "已整改"}, headers=own_staff)
    assert answered.status_code == 200 and answered.json()["late"] is False


async def test_bad_orders_are_refused_and_change_nothing(env: Env) -> None:
    case = await env.submit(submitted())
    good: dict[str, Any] = {"target": "case", "case_id": str(case.id), "reason": "请说明", "working_days": 3}
    bad_bodies: list[dict[str, Any]] = [
        {**good, "working_days": 0},
        {**good, "working_days": 61},
        {**good, "reason": ""},
        {**good, "target": "department"},  # no department and region
        {**good, "department": NN_MARKET},  # a case order names the case only
        {"target": "department", "department": "not-a-code", "region": NANNING, "reason": "x", "working_days": 1},
        {"target": "department", "department": NN_MARKET, "region": "4501", "reason": "x", "working_days": 1},
        {**good, "issued_by": "someone-else"},
        {**good, "case_id": "../../cases"},
    ]
    for body in bad_bodies:
        refused = await env.client.post(ORDERS, json=body, headers=supervisor(env))
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    bad_reply = await env.client.post(
        f"{ORDERS}/{uuid.uuid4()}/reply", json={"reply": ""}, headers=env.staff("acceptor")
    )
    assert bad_reply.status_code == 422
    assert await order_count(env) == 0
    async with env.db.transaction() as session:
        actions = list(
            await session.scalars(sa.text("SELECT action FROM trace_entry WHERE case_id = :c").bindparams(c=case.id))
        )
    assert not [a for a in actions if a.startswith("supervision")]
    # A closed case is not ordered on.
    refused = await env.act(
        case.id, "accept", "acceptor", {"action": "refuse", "opinion": "不予受理", "reason": "不属于受理范围"}
    )
    assert refused.status_code == 200, refused.text
    closed = await env.client.post(ORDERS, json=good, headers=supervisor(env))
    assert closed.status_code == 409 and closed.json()["current_status"] == "refused"
    assert await order_count(env) == 0
