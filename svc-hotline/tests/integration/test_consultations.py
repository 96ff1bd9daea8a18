"""小热线融合 on PostgreSQL: a consultation or complaint filed in svc-evaluation (``evaluation.consultation.
submitted``) becomes one work order, once however often the event comes, dispatched to the department
evaluation routed it to and readable by its asker; the department's answer goes back as
``hotline.consultation.answered``. Attacks: another citizen, another department, a pushing hotline's order
(never linked to a consultation), the asker's own message (no answer sent to evaluation)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from gov_common.testing import eventually
from gov_contracts.evaluation import ConsultationSubmitted
from gov_contracts.testing import envelope

Hotline = Any  # the conftest's fixture
HOUSING_FUND = "12450100MB0G4J5J6X"
WATER = "91450100MB0W1A2T3X"
NANNING = "450100"


def submitted(**over: Any) -> ConsultationSubmitted:
    values: dict[str, Any] = {
        "consultation_id": str(uuid.uuid4()),
        "kind": "complaint",
        "title": "公积金提取审核太慢",
        "question": "十一月初提交的租房提取申请至今未到账，电话也打不通。",
        "region": "450102",
        "department": HOUSING_FUND,
        "item_code": None,
        "asker_subject": "citizen-1",
        "asker_kind": "citizen",
        "asked_at": datetime(2026, 12, 7, 1, 30, tzinfo=UTC),  # Monday 09:30 in China
    }
    return ConsultationSubmitted(**(values | over))


async def deliver(hotline: Hotline, *events: ConsultationSubmitted) -> None:
    await hotline.app.state.runtime.bus.publish(ConsultationSubmitted.topic, [envelope(e) for e in events])


async def order_of(hotline: Hotline, consultation_id: str) -> list[Any]:
    return await hotline.sql(
        "SELECT id, number, status, department, channel, kind, due FROM work_order WHERE consultation_id = :c",
        c=uuid.UUID(consultation_id),
    )


async def test_a_consultation_becomes_one_order_and_its_answer_goes_back(hotline: Hotline) -> None:
    event = submitted()
    await deliver(hotline, event, event)  # delivered twice: one order

    async def made() -> bool:
        return bool(await order_of(hotline, event.consultation_id))

    await eventually(made, what="the work order of the complaint")
    [row] = await order_of(hotline, event.consultation_id)
    assert (row.status, row.department, row.channel, row.kind) == ("dispatched", HOUSING_FUND, "web", "complaint")
    assert row.due.isoformat() == "2026-12-14"  # a complaint: 5 working days from Monday 7 December
    assert [e.type for e in await hotline.outbox()] == ["hotline.order.created", "hotline.order.dispatched"]
    oid = str(row.id)
    # The asker reads it through the hotline too; another citizen and another department do not.
    mine = await hotline.client.get(f"/v1/orders/{oid}", headers=hotline.citizen("citizen-1"))
    assert mine.status_code == 200 and mine.json()["content"] == event.question
    assert (await hotline.client.get(f"/v1/orders/{oid}", headers=hotline.citizen("citizen-2"))).status_code == 404
    assert (await hotline.client.get(f"/v1/orders/{oid}", headers=hotline.staff(WATER))).status_code == 404
    wrong = await hotline.client.post(f"/v1/orders/{oid}/answer", json={"answer": "x"}, headers=hotline.staff(WATER))
    assert wrong.status_code == 404
    assert await hotline.outbox("hotline.consultation.answered") == []
    # The department answers once, in the hotline; the answer goes back to evaluation for the asker.
    await hotline.client.post(f"/v1/orders/{oid}/sign", headers=hotline.staff(HOUSING_FUND))
    answer = "已核查，您的提取申请已于12月7日审核通过，款项三个工作日内到账。"
    answered = await hotline.client.post(
        f"/v1/orders/{oid}/answer", json={"answer": answer}, headers=hotline.staff(HOUSING_FUND)
    )
    assert answered.status_code == 200, answered.text
    [back] = await hotline.outbox("hotline.consultation.answered")
    assert back.subject == oid
    assert (back.data["consultation_id"], back.data["answer"], back.data["department"]) == (
        event.consultation_id,
        answer,
        HOUSING_FUND,
    )
    assert back.data["number"] == row.number
    assert "13812345678" not in str(back.data) and "caller" not in str(back.data)


async def test_only_orders_made_of_consultations_send_answers_back(hotline: Hotline) -> None:
    # A pushing hotline's order and a citizen's own message are answered without telling evaluation.
    pushed = await hotline.client.post(
        "/v1/exchange/orders",
        json={
            "kind": "complaint",
            "category": "housing_fund",
            "region": NANNING,
            "title": "公积金提取",
            "content": "公积金提取审核慢",
            "external_ref": "svc-evaluation",
        },
        headers=hotline.system("hotline.exchange.write", subject="svc-evaluation", region=NANNING)
        | {"Idempotency-Key": "k-1"},
    )
    assert pushed.status_code == 201, pushed.text
    oid = pushed.json()["id"]
    await hotline.client.post(f"/v1/orders/{oid}/dispatch", json={}, headers=hotline.operator())
    await hotline.client.post(f"/v1/orders/{oid}/sign", headers=hotline.staff(HOUSING_FUND))
    done = await hotline.client.post(
        f"/v1/orders/{oid}/answer", json={"answer": "已办理"}, headers=hotline.staff(HOUSING_FUND)
    )
    assert done.status_code == 200
    assert await hotline.outbox("hotline.consultation.answered") == []
    assert (await hotline.sql("SELECT consultation_id FROM work_order"))[0].consultation_id is None
    # A consultation for a department no rule knows still reaches it (by its code).
    event = submitted(department="11450100MB0X9Y8Z7X", kind="consultation", asker_kind="enterprise")
    await deliver(hotline, event)

    async def made() -> bool:
        return bool(await order_of(hotline, event.consultation_id))

    await eventually(made, what="the order of the consultation")
    [row] = await order_of(hotline, event.consultation_id)
    assert (row.department, row.due.isoformat()) == ("11450100MB0X9Y8Z7X", "2026-12-09")  # 2 working days
