"""Notifications on PostgreSQL: forged or altered ones change nothing and are recorded; a lost one is
made up for by asking the channel."""

from __future__ import annotations

import base64
import logging
import os
from typing import Any

import pytest

from gov_contracts.payment import OrderPaid
from payment.signing import ed25519_sign, private_key
from payment.worker import sweep


async def _pending_with_trade(svc: Any) -> tuple[dict[str, Any], Any]:
    order = await svc.create_order(amounts=(3000,))
    await svc.start_payment(order["id"])
    trade = next(t for t in svc.sandbox.trades.values() if t.out_trade_no == order["id"].replace("-", ""))
    return order, trade


def _resign(fields: dict[str, Any], key: Any) -> dict[str, Any]:
    fields = {k: v for k, v in fields.items() if k != "sign"}
    fields["sign"] = ed25519_sign(fields, key)
    return fields


FORGER = private_key(base64.b64encode(os.urandom(32)).decode())


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("forged_key", "bad signature"),
        ("altered_amount_unsigned", "bad signature"),
        ("signed_wrong_amount", "amount mismatch"),
        ("signed_wrong_currency", "currency mismatch"),
        ("signed_other_merchant", "another merchant"),
        ("signed_unknown_order", "unknown order"),
        ("missing_sign", "bad signature"),
    ],
)
async def test_forged_or_altered_notification_changes_nothing(pg_payment, caplog, case: str, reason: str) -> None:
    svc = pg_payment
    order, trade = await _pending_with_trade(svc)
    trade.status = "TRADE_SUCCESS"  # the channel's own state, so that a real notice would pay the order
    from gov_standards.china_time import utcnow

    trade.paid_at = utcnow()
    good = svc.sandbox.notification(trade)
    key = svc.sandbox.key
    body = {
        "forged_key": _resign(good, FORGER),
        "altered_amount_unsigned": {**good, "amount_fen": 1},
        "signed_wrong_amount": _resign({**good, "amount_fen": 1}, key),
        "signed_wrong_currency": _resign({**good, "currency": "USD"}, key),
        "signed_other_merchant": _resign({**good, "merchant_id": "SOMEONE-ELSE"}, key),
        "signed_unknown_order": _resign({**good, "out_trade_no": "0" * 32}, key),
        "missing_sign": {k: v for k, v in good.items() if k != "sign"},
    }[case]
    before = await svc.order(order["id"])
    with caplog.at_level(logging.WARNING, logger="payment"):
        resp = await svc.client.post("/v1/channels/sandbox/notify", json=body)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["type"] == "urn:gov-platform:problem:invalid-notification"
    after = await svc.order(order["id"])
    assert after == before and after["status"] == "pending"
    assert await svc.outbox(OrderPaid.type) == []
    rows = await svc.sql("SELECT outcome, reason FROM channel_notification")
    assert [(r.outcome, r.reason) for r in rows] == [("rejected", reason)]
    assert any(reason in rec.getMessage() for rec in caplog.records), "the rejection is logged"

    # The genuine notice still pays it afterwards: the rejection did not poison anything.
    ok = await svc.client.post("/v1/channels/sandbox/notify", json=good)
    assert ok.status_code == 200 and ok.json()["outcome"] == "applied"
    assert (await svc.order(order["id"]))["status"] == "paid"


async def test_malformed_notification_body(pg_payment) -> None:
    resp = await pg_payment.client.post(
        "/v1/channels/sandbox/notify", content=b"not json", headers={"content-type": "text/plain"}
    )
    assert resp.status_code == 400 and resp.json()["detail"] == "malformed body"
    unknown = await pg_payment.client.post("/v1/channels/nowhere/notify", json={})
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("unknown-channel")


async def test_lost_notification_is_made_up_by_querying_the_channel(pg_payment) -> None:
    svc = pg_payment
    svc.sandbox.deliver_notifications = False  # the channel never calls back
    order, _ = await _pending_with_trade(svc)
    assert (await svc.pay_at_channel(await svc.start_payment(order["id"]))).status_code == 303
    assert (await svc.order(order["id"]))["status"] == "pending"

    svc.context.settings.query_after_seconds = 3600
    assert (await sweep(svc.db, svc.context))["queried"] == 0, "not late yet"
    svc.context.settings.query_after_seconds = 0
    counts = await sweep(svc.db, svc.context)
    assert counts["queried"] == 1 and counts["paid"] == 1
    paid = await svc.order(order["id"])
    assert paid["status"] == "paid"
    assert paid["transitions"][-1]["cause"] == "channel_query"
    assert len(await svc.outbox(OrderPaid.type)) == 1
    assert svc.sandbox.notifications_sent == 0


async def test_the_background_worker_asks_the_channel_by_itself(serve_payment, pg_url) -> None:
    async with serve_payment(
        database_url=pg_url, worker_enabled=True, worker_interval_seconds=0.1, query_after_seconds=0.2
    ) as svc:
        svc.sandbox.deliver_notifications = False
        order = await svc.create_order()
        await svc.pay_at_channel(await svc.start_payment(order["id"]))

        async def paid() -> bool:
            return (await svc.order(order["id"]))["status"] == "paid"

        await svc.eventually(paid, 15, "the worker to query the channel")
        assert (await svc.order(order["id"]))["transitions"][-1]["actor"] == "system:query"


async def test_without_the_sandbox_enabled_no_sandbox_notification_is_accepted(tmp_path) -> None:
    """A deployment that forgot GOV_ENVIRONMENT=production still refuses notifications signed with the
    sandbox's development key: the sandbox channel exists only when enabled."""
    from gov_common.testing import serve_lifespan
    from payment.main import create_app
    from payment.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, log_json=False))
    async with serve_lifespan(app) as client:
        resp = await client.post(
            "/v1/channels/sandbox/notify", data={"out_trade_no": "x", "trade_status": "TRADE_SUCCESS"}
        )
        pay_page = await client.get("/sandbox-channel/pay/anything")
    assert resp.status_code == 422 and resp.json()["type"].endswith(":unknown-channel")
    assert pay_page.status_code == 404
