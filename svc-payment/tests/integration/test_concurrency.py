"""Races on PostgreSQL: paying and expiring the same order at once end in exactly one final state, which
agrees with the channel; the paid event is emitted once."""

from __future__ import annotations

import asyncio
import uuid

from gov_contracts.payment import OrderPaid
from gov_standards.china_time import utcnow
from payment.worker import expire_one


async def _terminal_transitions(svc, order_id: str) -> list[str]:
    rows = await svc.sql(
        "SELECT to_status FROM order_transition WHERE order_id = :id AND to_status IN ('paid', 'expired')", id=order_id
    )
    return [r.to_status for r in rows]


async def test_concurrent_pay_and_expire_end_in_exactly_one_final_state(pg_payment) -> None:
    svc = pg_payment
    orders = [await svc.create_order(amounts=(100 + i,)) for i in range(12)]
    urls = [await svc.start_payment(o["id"]) for o in orders]
    await svc.sql("UPDATE payment_order SET expires_at = :t", t=utcnow())  # all due now

    async def race(order: dict, url: str) -> tuple[int, str]:
        pay, status = await asyncio.gather(svc.pay_at_channel(url), expire_one(svc.db, svc.context, order["uuid"]))
        return pay.status_code, status

    for o in orders:
        o["uuid"] = uuid.UUID(o["id"])
    results = await asyncio.gather(*(race(o, u) for o, u in zip(orders, urls, strict=True)))
    await svc.sandbox.wait_idle()

    paid = 0
    for order, (pay_status, _) in zip(orders, results, strict=True):
        final = (await svc.order(order["id"]))["status"]
        trade = svc.sandbox.trades[(svc.context.settings.sandbox_merchant_id, order["uuid"].hex)]
        assert final in ("paid", "expired")
        assert await _terminal_transitions(svc, order["id"]) == [final], "exactly one final transition"
        if final == "paid":
            paid += 1
            assert trade.status == "TRADE_SUCCESS" and pay_status == 303
        else:
            assert trade.status == "TRADE_CLOSED" and pay_status == 409, "the channel refused the late payment"
    assert len(await svc.outbox(OrderPaid.type)) == paid


async def test_notification_racing_the_expiry_pays_once(pg_payment) -> None:
    """The channel took the money but its notice arrives while the expiry sweep closes the trade."""
    svc = pg_payment
    svc.sandbox.deliver_notifications = False
    order = await svc.create_order()
    url = await svc.start_payment(order["id"])
    assert (await svc.pay_at_channel(url)).status_code == 303
    oid = uuid.UUID(order["id"])
    trade = svc.sandbox.trades[(svc.context.settings.sandbox_merchant_id, oid.hex)]
    notice = svc.sandbox.notification(trade)
    await svc.sql("UPDATE payment_order SET expires_at = :t", t=utcnow())

    resp, status = await asyncio.gather(
        svc.client.post("/v1/channels/sandbox/notify", json=notice), expire_one(svc.db, svc.context, oid)
    )
    assert resp.status_code == 200 and resp.json()["outcome"] in ("applied", "duplicate")
    assert status == "paid"
    assert await _terminal_transitions(svc, order["id"]) == ["paid"]
    assert len(await svc.outbox(OrderPaid.type)) == 1
