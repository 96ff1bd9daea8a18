"""Refunds on PostgreSQL: four eyes, department and region scope, stale amounts refused, never more than
what was paid, also when requests and approvals race."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gov_contracts.payment import OrderRefunded


async def _paid_order(svc: Any, amount: int = 10000) -> dict[str, Any]:
    order = await svc.create_order(amounts=(amount,))
    await svc.pay_at_channel(await svc.start_payment(order["id"]))
    await svc.sandbox.wait_idle()
    paid = await svc.order(order["id"])
    assert paid["status"] == "paid"
    return paid


async def _request(
    svc: Any, order_id: str, amount: int, seen: int, who: str = "finance-1", key: str | None = None, **h: Any
):
    return await svc.client.post(
        f"/v1/orders/{order_id}/refunds",
        json={"amount_fen": amount, "refundable_seen_fen": seen, "reason": "申请撤回"},
        headers={**svc.finance(who, **h), "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def test_refund_needs_a_second_person_and_books_the_money(pg_payment) -> None:
    svc = pg_payment
    order = await _paid_order(svc)
    req = await _request(svc, order["id"], 4000, 10000)
    assert req.status_code == 201, req.text
    refund = req.json()
    assert refund["status"] == "requested"
    assert (await svc.order(order["id"]))["refundable_fen"] == 6000, "the request reserves its amount"

    same = await svc.client.post(f"/v1/refunds/{refund['id']}/approve", json={}, headers=svc.finance("finance-1"))
    assert same.status_code == 403 and same.json()["type"].endswith("four-eyes-required")
    approved = await svc.client.post(f"/v1/refunds/{refund['id']}/approve", json={}, headers=svc.finance("finance-2"))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "succeeded" and approved.json()["decided_by"] == "finance-2"
    twice = await svc.client.post(f"/v1/refunds/{refund['id']}/approve", json={}, headers=svc.finance("finance-3"))
    assert twice.status_code == 409 and twice.json()["type"].endswith("refund-not-pending")

    after = await svc.order(order["id"])
    assert after["status"] == "partially_refunded" and after["refunded_fen"] == 4000 and after["refundable_fen"] == 6000
    trade = svc.sandbox.trades[(svc.context.settings.sandbox_merchant_id, order["id"].replace("-", ""))]
    assert sum(r.amount_fen for r in trade.refunds.values()) == 4000, "the money went back at the channel"

    rest = await _request(svc, order["id"], 6000, 6000)
    assert (
        await svc.client.post(f"/v1/refunds/{rest.json()['id']}/approve", json={}, headers=svc.finance("finance-2"))
    ).status_code == 200
    done = await svc.order(order["id"])
    assert done["status"] == "refunded" and done["refundable_fen"] == 0
    events = await svc.outbox(OrderRefunded.type)
    assert [OrderRefunded.model_validate(e.data).status for e in events] == ["partially_refunded", "refunded"]
    assert all(e.data["case_id"] == order["case_id"] for e in events)


async def test_stale_exceeding_and_out_of_scope_requests_change_nothing(pg_payment) -> None:
    svc = pg_payment
    order = await _paid_order(svc, 5000)
    stale = await _request(svc, order["id"], 100, 4000)
    assert stale.status_code == 409 and stale.json()["type"].endswith("stale-refundable-amount")
    assert stale.json()["refundable_fen"] == 5000
    too_much = await _request(svc, order["id"], 5001, 5000)
    assert too_much.status_code == 409 and too_much.json()["type"].endswith("refund-exceeds-refundable")
    other_dept = await _request(svc, order["id"], 100, 5000, department="gx-other")
    other_region = await _request(svc, order["id"], 100, 5000, region="450200")
    applicant = await svc.client.post(
        f"/v1/orders/{order['id']}/refunds",
        json={"amount_fen": 100, "refundable_seen_fen": 5000, "reason": "x"},
        headers={**svc.h("citizen-1"), "Idempotency-Key": "k"},
    )
    assert applicant.status_code == 403, "the applicant knows the order: told why, not that it is missing"
    assert other_dept.status_code == other_region.status_code == 404, "no confirmation that the order exists"
    bad = await _request(svc, order["id"], -5, 5000)
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/amount_fen"
    assert await svc.sql("SELECT id FROM refund") == []
    assert (await svc.order(order["id"]))["refundable_fen"] == 5000

    province = await _request(svc, order["id"], 100, 5000, who="finance-prov", region="450000")
    assert province.status_code == 201, "a province-level finance member of the department covers Nanning"
    reject_self = await svc.client.post(
        f"/v1/refunds/{province.json()['id']}/reject", json={}, headers=svc.finance("finance-prov", region="450000")
    )
    assert reject_self.status_code == 403
    rejected = await svc.client.post(
        f"/v1/refunds/{province.json()['id']}/reject", json={}, headers=svc.finance("finance-2")
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await svc.order(order["id"]))["refundable_fen"] == 5000, "a rejected request frees its amount"


async def test_refund_request_idempotency(pg_payment) -> None:
    svc = pg_payment
    order = await _paid_order(svc, 3000)
    first = await _request(svc, order["id"], 1000, 3000, key="refund-1")
    replay = await _request(svc, order["id"], 1000, 3000, key="refund-1")
    other = await _request(svc, order["id"], 999, 3000, key="refund-1")
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert other.status_code == 409 and other.json()["type"].endswith("idempotency-key-reused")
    assert len(await svc.sql("SELECT id FROM refund")) == 1


async def test_concurrent_refund_requests_cannot_exceed_the_paid_amount(pg_payment) -> None:
    svc = pg_payment
    order = await _paid_order(svc, 10000)
    # Ten finance members read "10000 refundable" at once and each asks for 4000.
    answers = await asyncio.gather(*(_request(svc, order["id"], 4000, 10000, who=f"f{i}") for i in range(10)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 9, codes
    assert all(a.json()["type"].endswith("stale-refundable-amount") for a in answers if a.status_code == 409)

    # Others ask again with what they now read; approvals race against each other.
    second = await _request(svc, order["id"], 4000, 6000, who="f1")
    third = await _request(svc, order["id"], 4000, 2000, who="f2")
    assert second.status_code == 201 and third.status_code == 409
    ids = [a.json()["id"] for a in answers if a.status_code == 201] + [second.json()["id"]]
    approvals = await asyncio.gather(
        *(
            svc.client.post(f"/v1/refunds/{rid}/approve", json={}, headers=svc.finance(f"approver-{n}"))
            for n, rid in enumerate(ids)
            for _ in range(3)
        )
    )
    assert sorted(a.status_code for a in approvals) == [200, 200, 409, 409, 409, 409]
    final = await svc.order(order["id"])
    assert final["refunded_fen"] == 8000 <= final["paid_fen"]
    trade = svc.sandbox.trades[(svc.context.settings.sandbox_merchant_id, order["id"].replace("-", ""))]
    assert sum(r.amount_fen for r in trade.refunds.values()) == 8000
    assert len(await svc.outbox(OrderRefunded.type)) == 2


async def test_a_channel_failure_leaves_the_refund_requested(pg_payment) -> None:
    svc = pg_payment
    order = await _paid_order(svc, 2000)
    refund = (await _request(svc, order["id"], 2000, 2000)).json()
    merchants = dict(svc.sandbox.merchants)
    svc.sandbox.merchants.clear()  # the channel no longer accepts our requests
    failed = await svc.client.post(f"/v1/refunds/{refund['id']}/approve", json={}, headers=svc.finance("finance-2"))
    assert failed.status_code == 502 and failed.json()["type"].endswith("channel-unavailable")
    (row,) = await svc.sql("SELECT status FROM refund")
    assert row.status == "requested"
    assert (await svc.order(order["id"]))["status"] == "paid"
    assert await svc.outbox(OrderRefunded.type) == []

    svc.sandbox.merchants.update(merchants)
    retried = await svc.client.post(f"/v1/refunds/{refund['id']}/approve", json={}, headers=svc.finance("finance-2"))
    assert retried.status_code == 200 and (await svc.order(order["id"]))["status"] == "refunded"
