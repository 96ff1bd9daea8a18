"""Combined payments on PostgreSQL (合并支付, the fees of a one-thing bundle): three departments' orders paid in
one channel trade; each order paid, booked, receipted and announced on its own; the day's statement (one line
for the trade) matches the ledger, split per department; another person's orders and unpayable ones refused
with nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

from gov_contracts.payment import OrderPaid
from gov_standards.china_time import utcnow
from payment.domain import business_date
from payment.worker import sweep

POLICE, HEALTH, HR = "11450100MB725PY8DX", "11450100MBECJA39QK", "11450100MB3H7RX2LK"


async def combine(svc: Any, order_ids: list[str], applicant: str = "citizen-1", key: str | None = None) -> Any:
    return await svc.client.post(
        "/v1/combined-payments",
        json={"order_ids": order_ids, "channel": "sandbox"},
        headers={**svc.h(applicant), "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def test_one_payment_for_three_departments_split_in_reconciliation(pg_payment) -> None:
    svc = pg_payment
    orders = [
        await svc.create_order(amounts=(800,), department=POLICE),
        await svc.create_order(amounts=(1500, 500), department=HEALTH),
        await svc.create_order(amounts=(2000,), department=HR),
    ]
    ids = [o["id"] for o in orders]
    started = await combine(svc, ids, key="pay-1")
    assert started.status_code == 201, started.text
    combined = started.json()
    assert started.headers["location"].endswith(f"/v1/combined-payments/{combined['id']}")
    assert combined["amount_fen"] == 4800 and combined["status"] == "pending"
    assert {(d["department"], d["amount_fen"]) for d in combined["by_department"]} == {
        (POLICE, 800),
        (HEALTH, 2000),
        (HR, 2000),
    }
    assert all(o["status"] == "pending" and o["pay_url"] == combined["pay_url"] for o in combined["orders"])
    replay = await combine(svc, ids, key="pay-1")
    assert replay.status_code == 201 and replay.json()["id"] == combined["id"]

    page = await svc.client.get(combined["pay_url"])
    assert "¥48.00" in page.text, "one trade at the channel for the whole bundle"
    await svc.pay_at_channel(combined["pay_url"])
    await svc.sandbox.wait_idle()

    paid = (await svc.client.get(f"/v1/combined-payments/{combined['id']}", headers=svc.h("citizen-1"))).json()
    assert paid["status"] == "paid" and paid["paid_at"]
    for order in orders:
        got = await svc.order(order["id"])
        assert got["status"] == "paid" and got["paid_fen"] == order["amount_fen"]
        assert [t["cause"] for t in got["transitions"]] == [
            "fee_requested",
            "combined_payment_started",
            "channel_notification",
        ]
        receipt = (await svc.client.get(f"/v1/orders/{order['id']}/receipt", headers=svc.h("citizen-1"))).json()
        assert receipt["payee_department"] == order["department"] and receipt["amount_fen"] == order["amount_fen"]
    announced = [OrderPaid.model_validate(r.data) for r in await svc.outbox(OrderPaid.type)]
    assert sorted((e.case_id, e.amount_fen) for e in announced) == sorted(
        (o["case_id"], o["amount_fen"]) for o in orders
    )

    # one department refunds part of its own order: the channel gives it back from the one trade
    police_finance = svc.finance("finance-police", department=POLICE)
    asked = await svc.client.post(
        f"/v1/orders/{orders[0]['id']}/refunds",
        json={"amount_fen": 300, "refundable_seen_fen": 800, "reason": "多收"},
        headers={**police_finance, "Idempotency-Key": "refund-1"},
    )
    assert asked.status_code == 201, asked.text
    approved = await svc.client.post(
        f"/v1/refunds/{asked.json()['id']}/approve", json={}, headers=svc.finance("finance-police-2", department=POLICE)
    )
    assert approved.status_code == 200 and approved.json()["status"] == "succeeded", approved.text
    assert (await svc.order(orders[0]["id"]))["status"] == "partially_refunded"

    # reconciliation: the statement's one line for the trade matches the three ledger entries (and the
    # refund its own); the day's money is split per collecting department, each finance reader their own
    day = business_date(utcnow()).isoformat()
    run = await svc.client.post(
        "/v1/reconciliations",
        json={"channel": "sandbox", "business_date": day},
        headers={**police_finance, "Idempotency-Key": "r1"},
    )
    assert run.status_code == 201, run.text
    report = run.json()
    assert report["differences"] == 0 and report["matched"] == 2, report
    assert report["statement_total_fen"] == report["ledger_total_fen"] == 4500
    assert [(d["department"], d["paid_fen"], d["refunded_fen"]) for d in report["by_department"]] == [
        (POLICE, 800, 300)
    ]
    hr_view = (
        await svc.client.get(f"/v1/reconciliations/sandbox/{day}", headers=svc.finance("f-hr", department=HR))
    ).json()
    assert [(d["department"], d["paid_fen"]) for d in hr_view["by_department"]] == [(HR, 2000)]


async def test_refused_with_nothing_changed(pg_payment) -> None:
    svc = pg_payment
    mine = await svc.create_order(amounts=(800,), department=POLICE)
    theirs = await svc.create_order(applicant="citizen-2", amounts=(900,), department=HEALTH)

    # another person's order: not found, and mine stays untouched
    stolen = await combine(svc, [mine["id"], theirs["id"]])
    assert stolen.status_code == 404 and stolen.headers["content-type"] == "application/problem+json"
    assert stolen.json()["orders"] == [theirs["id"]]
    assert (await svc.order(mine["id"]))["status"] == "created"
    assert (await combine(svc, [str(uuid.uuid4())])).status_code == 404
    duplicate = await combine(svc, [mine["id"], mine["id"]])
    assert duplicate.status_code == 422

    # an order already paid is not paid again
    await svc.pay_at_channel(await svc.start_payment(mine["id"]))
    await svc.sandbox.wait_idle()
    other = await svc.create_order(amounts=(700,), department=HR)
    again = await combine(svc, [mine["id"], other["id"]])
    assert again.status_code == 409 and again.json()["type"].endswith(":order-not-payable")
    assert (await svc.order(other["id"]))["status"] == "created"
    assert (await svc.sql("SELECT count(*) AS n FROM combined_payment"))[0].n == 0

    # an order paid together with others is not cancelled alone while the trade is open
    pending = (await combine(svc, [other["id"]])).json()
    cancel = await svc.client.post(f"/v1/orders/{other['id']}/cancel", headers=svc.h("citizen-1"))
    assert cancel.status_code == 409 and (await svc.order(other["id"]))["status"] == "pending"
    assert pending["status"] == "pending"

    # a combined payment is its payer's alone
    url = f"/v1/combined-payments/{pending['id']}"
    assert (await svc.client.get(url, headers=svc.h("citizen-2"))).status_code == 404
    assert (await svc.client.get(url, headers=svc.h("citizen-1"))).status_code == 200


async def test_the_worker_finds_a_combined_trade_paid_when_no_notification_comes(serve_payment, pg_url) -> None:
    async with serve_payment(database_url=pg_url, query_after_seconds=0) as svc:
        orders = [
            await svc.create_order(amounts=(800,), department=POLICE),
            await svc.create_order(amounts=(900,), department=HR),
        ]
        combined = (await combine(svc, [o["id"] for o in orders])).json()
        svc.sandbox.deliver_notifications = False  # paid at the channel, the notice lost
        await svc.pay_at_channel(combined["pay_url"])
        counts = await sweep(svc.db, svc.context)
        statuses = [(await svc.order(o["id"]))["status"] for o in orders]
    assert counts["errors"] == 0 and statuses == ["paid", "paid"]
    assert counts["paid"] >= 1
