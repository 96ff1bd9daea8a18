"""Who may do what: every endpoint refuses the wrong caller with problem+json and changes nothing."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


async def test_refusals(serve_payment) -> None:
    async with serve_payment() as svc:
        order = await svc.create_order(applicant="citizen-1")
        oid = order["id"]
        body = svc.fee_request()
        key = {"Idempotency-Key": uuid.uuid4().hex}

        anonymous = [
            await svc.client.get("/v1/orders"),
            await svc.client.get(f"/v1/orders/{oid}"),
            await svc.client.post("/v1/orders", json=body, headers=key),
            await svc.client.post(f"/v1/orders/{oid}/payments", json={}),
            await svc.client.post("/v1/reconciliations", json={"business_date": "2026-11-27"}),
        ]
        assert [r.status_code for r in anonymous] == [401] * 5
        assert all(r.headers["content-type"] == PROBLEM for r in anonymous)

        stranger = svc.h("citizen-2")
        assert (await svc.client.get(f"/v1/orders/{oid}", headers=stranger)).status_code == 404
        assert (await svc.client.post(f"/v1/orders/{oid}/payments", json={}, headers=stranger)).status_code == 404
        assert (await svc.client.post(f"/v1/orders/{oid}/cancel", headers=stranger)).status_code == 404
        assert (await svc.client.get(f"/v1/orders/{oid}/receipt", headers=stranger)).status_code == 404
        assert (await svc.client.get(f"/v1/orders/{oid}/refunds", headers=stranger)).status_code == 404

        creators = {
            "citizen": svc.h("citizen-1"),
            "staff without finance": svc.h(
                "clerk", kind="staff", roles=["reviewer"], department="gx-nn-market", region="450100"
            ),
            "system without scope": svc.h("svc-x", kind="system", scopes=["other"]),
            "finance of another department": svc.finance("f-other", department="gx-other"),
            "finance of another city": svc.finance("f-lz", region="450200"),
        }
        for who, headers in creators.items():
            resp = await svc.client.post("/v1/orders", json=body, headers={**headers, **key})
            assert resp.status_code == 403, who
        assert len(await svc.sql("SELECT id FROM payment_order")) == 1
        finance_create = await svc.client.post(
            "/v1/orders", json=body, headers={**svc.finance(), "Idempotency-Key": "f1"}
        )
        assert finance_create.status_code == 201

        # Finance staff read the department's orders, but only the applicant pays or cancels.
        assert (await svc.client.get(f"/v1/orders/{oid}", headers=svc.finance())).status_code == 200
        assert (
            await svc.client.get(f"/v1/orders/{oid}", headers=svc.finance("x", department="gx-other"))
        ).status_code == 404
        pay = await svc.client.post(f"/v1/orders/{oid}/payments", json={}, headers=svc.finance())
        assert pay.status_code == 403 and pay.json()["type"].endswith("insufficient-scope")
        finance_with_pay = svc.issuer.headers(
            "finance-1",
            kind="staff",
            roles=["finance"],
            department="gx-nn-market",
            region="450100",
            scopes=["payment.orders.read", "payment.orders.pay"],
        )
        pay = await svc.client.post(f"/v1/orders/{oid}/payments", json={}, headers=finance_with_pay)
        assert pay.status_code == 403 and pay.json()["type"].endswith("payment-order-forbidden")
        assert (await svc.order(oid))["status"] == "created"

        staff_list = await svc.client.get("/v1/orders", headers=svc.h("clerk", kind="staff", roles=["reviewer"]))
        assert staff_list.status_code == 403
        finance_list = await svc.client.get("/v1/orders", headers=svc.finance())
        assert len(finance_list.json()["items"]) == 2
        other_list = await svc.client.get("/v1/orders", headers=svc.finance("x", department="gx-other"))
        assert other_list.json()["items"] == []
        system_list = await svc.client.get("/v1/orders", headers=svc.workflow())
        assert len(system_list.json()["items"]) == 2
        recon_citizen = await svc.client.get("/v1/reconciliations/sandbox/2026-11-27", headers=svc.h("citizen-1"))
        assert recon_citizen.status_code == 403


async def test_applicants_list_only_their_orders_page_by_page(serve_payment) -> None:
    async with serve_payment() as svc:
        mine = [(await svc.create_order(applicant="citizen-1"))["id"] for _ in range(5)]
        await svc.create_order(applicant="citizen-2")
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await svc.client.get("/v1/orders", params=params, headers=svc.h("citizen-1"))).json()
            seen += [o["id"] for o in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3 and sorted(seen) == sorted(mine) and len(set(seen)) == 5
        assert seen == list(reversed(mine)), "newest first"
        bad = await svc.client.get("/v1/orders", params={"cursor": "nope"}, headers=svc.h("citizen-1"))
        assert bad.status_code == 400 and bad.json()["type"].endswith("invalid-cursor")
        by_status = await svc.client.get("/v1/orders", params={"status": "paid"}, headers=svc.h("citizen-1"))
        assert by_status.json()["items"] == []
        wrong = await svc.client.get("/v1/orders", params={"status": "nonsense"}, headers=svc.h("citizen-1"))
        assert wrong.status_code == 422


async def test_finance_pages_reach_every_order_in_scope(pg_payment) -> None:
    """Scope is applied in SQL: pages stay full and the last page is reachable when other regions' orders
    of the same department sit in between."""
    svc = pg_payment
    mine = set()
    for i in range(5):
        order = await svc.create_order(region="450103" if i % 2 else "450100")
        mine.add(order["id"])
        await svc.create_order(region="450200")  # Liuzhou: same department code, outside the subtree
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await svc.client.get("/v1/orders", params=params, headers=svc.finance())).json()
        assert len(page["items"]) == 2 or page["next_cursor"] is None
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == mine and len(seen) == 5
