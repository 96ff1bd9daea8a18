"""The applicant's path on the embedded default (SQLite): order, pay page, signed notifications over
HTTP (duplicated, with a stale copy out of order), paid once, receipt."""

from __future__ import annotations

import uuid

from gov_contracts.payment import OrderCreated, OrderPaid
from gov_contracts.registry import model_for
from gov_standards.china_time import utcnow
from payment.worker import sweep


async def test_pay_once_despite_duplicate_and_stale_notifications(serve_payment) -> None:
    async with serve_payment(sandbox_duplicate_notifications=3) as svc:
        order = await svc.create_order(amounts=(1500, 500))
        assert order["amount_fen"] == 2000 and order["status"] == "created" and order["currency"] == "CNY"

        pay_url = await svc.start_payment(order["id"])
        assert pay_url.startswith(svc.base_url + "/sandbox-channel/pay/")
        page = await svc.client.get(pay_url)
        assert "¥20.00" in page.text and "<script" not in page.text

        done = await svc.pay_at_channel(pay_url)
        assert done.status_code == 303 and done.headers["location"] == f"{svc.base_url}/done"
        await svc.sandbox.wait_idle()

        paid = await svc.order(order["id"])
        assert paid["status"] == "paid" and paid["paid_fen"] == 2000 and paid["refundable_fen"] == 2000
        assert [t["to_status"] for t in paid["transitions"]] == ["created", "pending", "paid"]
        assert [t["cause"] for t in paid["transitions"]] == ["fee_requested", "payment_started", "channel_notification"]

        outcomes = sorted(r.outcome for r in await svc.sql("SELECT outcome FROM channel_notification"))
        assert outcomes == ["applied", "duplicate", "duplicate", "ignored"], "3 copies + 1 stale WAIT notice"
        assert len(await svc.outbox(OrderPaid.type)) == 1
        assert len(await svc.sql("SELECT id FROM ledger_entry")) == 1

        for row in await svc.outbox():
            model = model_for(row.type)  # every published payload follows its contract
            assert model is not None and model.publisher == "/svc-payment"
            model.model_validate(row.data)
            assert row.topic == "gov.payment.orders" and row.subject == order["id"]
            assert row.data["case_id"] == order["case_id"]
        assert {r.type for r in await svc.outbox()} == {OrderCreated.type, OrderPaid.type}

        receipt = await svc.client.get(f"/v1/orders/{order['id']}/receipt", headers=svc.h("citizen-1"))
        assert receipt.status_code == 200, receipt.text
        body = receipt.json()
        assert body["amount_fen"] == 2000 and body["payer"]["subject"] == "citizen-1"
        assert [line["amount_fen"] for line in body["lines"]] == [1500, 500]
        assert body["receipt_no"].startswith("GX")

        again = await svc.client.post(f"/v1/orders/{order['id']}/payments", json={}, headers=svc.h("citizen-1"))
        assert again.status_code == 409 and again.json()["type"].endswith("order-not-payable")


async def test_create_order_idempotency(serve_payment) -> None:
    async with serve_payment() as svc:
        body = svc.fee_request()
        key = {"Idempotency-Key": uuid.uuid4().hex}
        first = await svc.client.post("/v1/orders", json=body, headers={**svc.workflow(), **key})
        second = await svc.client.post("/v1/orders", json=body, headers={**svc.workflow(), **key})
        other = await svc.client.post(
            "/v1/orders", json={**body, "case_id": "another"}, headers={**svc.workflow(), **key}
        )
        missing = await svc.client.post("/v1/orders", json=body, headers=svc.workflow())
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
        assert second.headers["Location"] == first.headers["Location"] and "Idempotent-Replayed" not in first.headers
        assert other.status_code == 409 and other.json()["type"] == "urn:gov-platform:problem:idempotency-key-reused"
        assert missing.status_code == 400 and missing.headers["content-type"] == "application/problem+json"
        assert len(await svc.sql("SELECT id FROM payment_order")) == 1
        assert len(await svc.outbox(OrderCreated.type)) == 1


async def test_declined_payment_fails_then_can_be_retried(serve_payment) -> None:
    async with serve_payment() as svc:
        order = await svc.create_order()
        pay_url = await svc.start_payment(order["id"])
        assert (await svc.pay_at_channel(pay_url, "decline")).status_code == 303
        await svc.sandbox.wait_idle()
        assert (await svc.order(order["id"]))["status"] == "failed"
        retry_url = await svc.start_payment(order["id"])
        assert retry_url != pay_url, "a new trade at the channel"
        await svc.pay_at_channel(retry_url)
        await svc.sandbox.wait_idle()
        final = await svc.order(order["id"])
        assert final["status"] == "paid"
        assert [t["to_status"] for t in final["transitions"]] == ["created", "pending", "failed", "pending", "paid"]


async def test_a_failed_trade_reported_paid_later_pays_the_order(serve_payment) -> None:
    """The payer retried on the channel's cashier page after a decline: the channel's paid report wins."""
    async with serve_payment() as svc:
        order = await svc.create_order()
        pay_url = await svc.start_payment(order["id"])
        await svc.pay_at_channel(pay_url, "decline")
        await svc.sandbox.wait_idle()
        assert (await svc.order(order["id"]))["status"] == "failed"
        trade = next(t for t in svc.sandbox.trades.values() if t.status == "TRADE_FAILED")
        trade.status, trade.paid_at = "TRADE_SUCCESS", utcnow()
        svc.sandbox.notify(trade)
        await svc.sandbox.wait_idle()
        final = await svc.order(order["id"])
    assert final["status"] == "paid"
    assert [t["to_status"] for t in final["transitions"]][-2:] == ["failed", "paid"]


async def test_the_worker_finds_a_failed_order_paid_when_no_notification_comes(serve_payment) -> None:
    async with serve_payment(query_after_seconds=0) as svc:
        order = await svc.create_order()
        pay_url = await svc.start_payment(order["id"])
        await svc.pay_at_channel(pay_url, "decline")
        await svc.sandbox.wait_idle()
        trade = next(t for t in svc.sandbox.trades.values() if t.status == "TRADE_FAILED")
        trade.status, trade.paid_at = "TRADE_SUCCESS", utcnow()  # paid at the channel, notification lost
        counts = await sweep(svc.db, svc.context)
        final = await svc.order(order["id"])
    assert counts["paid"] == 1 and counts["errors"] == 0
    assert final["status"] == "paid"
