"""Expiry, cancellation and input validation on PostgreSQL; demo data on the embedded default."""

from __future__ import annotations

from gov_contracts.payment import OrderCreated
from gov_standards.china_time import utcnow
from payment import demo
from payment.settings import Settings
from payment.worker import sweep


async def test_unpaid_orders_expire_and_cannot_be_paid_afterwards(pg_payment) -> None:
    svc = pg_payment
    untouched = await svc.create_order()
    opened = await svc.create_order()
    pay_url = await svc.start_payment(opened["id"])
    fresh = await svc.create_order()
    await svc.sql(
        "UPDATE payment_order SET expires_at = :t WHERE id IN (:a, :b)", t=utcnow(), a=untouched["id"], b=opened["id"]
    )
    counts = await sweep(svc.db, svc.context)
    assert counts["expired"] == 2
    for oid in (untouched["id"], opened["id"]):
        order = await svc.order(oid)
        assert order["status"] == "expired" and order["transitions"][-1]["cause"] == "expired"
    assert (await svc.order(fresh["id"]))["status"] == "created"
    late = await svc.pay_at_channel(pay_url)
    assert late.status_code == 409, "the channel closed the trade before we expired the order"
    retry = await svc.client.post(f"/v1/orders/{untouched['id']}/payments", json={}, headers=svc.h("citizen-1"))
    assert retry.status_code == 409 and retry.json()["current_status"] == "expired"


async def test_applicant_cancels_an_open_payment(pg_payment) -> None:
    svc = pg_payment
    order = await svc.create_order()
    pay_url = await svc.start_payment(order["id"])
    resp = await svc.client.post(f"/v1/orders/{order['id']}/cancel", headers=svc.h("citizen-1"))
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    assert (await svc.pay_at_channel(pay_url)).status_code == 409
    again = await svc.client.post(f"/v1/orders/{order['id']}/cancel", headers=svc.h("citizen-1"))
    assert again.status_code == 409 and again.json()["type"].endswith("invalid-order-transition")


async def test_invalid_fee_requests_are_refused_and_create_nothing(pg_payment) -> None:
    svc = pg_payment
    headers = {**svc.workflow(), "Idempotency-Key": "v"}
    cases = {
        "/lines": svc.fee_request() | {"lines": []},
        "/region": svc.fee_request(region="guangxi"),
        "/lines/0/amount_fen": svc.fee_request(amounts=(0,)),
        "/applicant/kind": svc.fee_request() | {"applicant": {"subject": "x", "kind": "staff"}},
        "": svc.fee_request(amounts=(100, 100)) | {"lines": [{"code": "A", "name": "n", "amount_fen": 1}] * 2},
    }
    for pointer, body in cases.items():
        resp = await svc.client.post("/v1/orders", json=body, headers=headers)
        assert resp.status_code == 422, pointer
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["errors"][0]["pointer"] == pointer
    assert await svc.sql("SELECT id FROM payment_order") == []
    assert await svc.outbox() == []


async def test_created_event_follows_its_schema(pg_payment) -> None:
    svc = pg_payment
    order = await svc.create_order(amounts=(1200, 34))
    (row,) = await svc.outbox(OrderCreated.type)
    data = OrderCreated.model_validate(row.data)
    assert data.amount_fen == 1234 and data.case_id == order["case_id"] and data.expires_at.utcoffset() is not None


async def test_demo_seed_is_idempotent(tmp_path) -> None:
    from gov_common.testing import serve_lifespan
    from payment.main import create_app

    settings = Settings(data_dir=tmp_path, demo_data=True, worker_enabled=False)
    for _ in range(2):
        async with serve_lifespan(create_app(settings)) as client:
            assert (await client.get("/readyz")).status_code == 200
    lines = (tmp_path / "demo" / "payment.txt").read_text()
    assert "demo order" in lines and "already there" in lines
    app = create_app(settings)
    async with serve_lifespan(app), app.state.runtime.db.transaction() as session:
        out = await demo.seed(session, settings)
        from sqlalchemy import text

        count = await session.scalar(text("SELECT count(*) FROM payment_order"))
    assert count == 1 and out


async def test_concurrent_creates_with_one_key_make_one_order(pg_payment) -> None:
    import asyncio

    svc = pg_payment
    body = svc.fee_request()
    headers = {**svc.workflow(), "Idempotency-Key": "same-key"}
    answers = await asyncio.gather(*(svc.client.post("/v1/orders", json=body, headers=headers) for _ in range(6)))
    assert [a.status_code for a in answers] == [201] * 6
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await svc.sql("SELECT id FROM payment_order")) == 1
    assert len(await svc.outbox(OrderCreated.type)) == 1
