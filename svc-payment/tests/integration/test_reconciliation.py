"""Reconciliation on PostgreSQL: the channel's signed daily statement against our ledger; every injected
difference is found, and each finance reader sees the part in their scope."""

from __future__ import annotations

import uuid
from typing import Any

from gov_standards.china_time import utcnow
from payment.domain import business_date


async def _pay(svc: Any, amount: int, department: str | None = None) -> dict[str, Any]:
    extra = {"department": department} if department else {}
    order = await svc.create_order(amounts=(amount,), **extra)
    await svc.pay_at_channel(await svc.start_payment(order["id"]))
    await svc.sandbox.wait_idle()
    return order


async def test_reconciliation_finds_every_injected_difference(pg_payment) -> None:
    svc = pg_payment
    a, b, c, d = [await _pay(svc, 1000 * (i + 1)) for i in range(4)]
    other_dept = await _pay(svc, 700, department="gx-other-dept")
    refund = (
        await svc.client.post(
            f"/v1/orders/{d['id']}/refunds",
            json={"amount_fen": 500, "refundable_seen_fen": 4000, "reason": "多收"},
            headers={**svc.finance("finance-1"), "Idempotency-Key": "r1"},
        )
    ).json()
    assert (
        await svc.client.post(f"/v1/refunds/{refund['id']}/approve", json={}, headers=svc.finance("finance-2"))
    ).status_code == 200
    # Paid at the channel, but the notice was lost and nobody asked yet: only the statement knows.
    svc.sandbox.deliver_notifications = False
    lost = await svc.create_order(amounts=(900,))
    await svc.pay_at_channel(await svc.start_payment(lost["id"]))

    ref = {o["id"]: uuid.UUID(o["id"]).hex for o in (a, b, c, d, lost, other_dept)}
    stranger = uuid.uuid4().hex

    def tamper(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            if row["reference"] == ref[a["id"]]:
                continue  # missing: we booked it, the channel does not list it
            if row["reference"] == ref[b["id"]]:
                row = {**row, "amount_fen": 1999}  # mismatched amount
            if row["type"] == "REFUND":
                row = {**row, "amount_fen": 400}  # mismatched refund
            out.append(row)
        out.append(
            {
                "type": "PAY",
                "reference": stranger,
                "trade_no": "X1",
                "amount_fen": 123,
                "currency": "CNY",
                "time": utcnow().isoformat(),
            }
        )
        return out

    svc.sandbox.statement_tamper = tamper
    day = business_date(utcnow()).isoformat()
    refused = await svc.client.post("/v1/reconciliations", json={"business_date": day}, headers=svc.h("citizen-1"))
    assert refused.status_code == 403
    run = await svc.client.post(
        "/v1/reconciliations", json={"business_date": day}, headers=svc.finance("finance-prov", region="450000")
    )
    assert run.status_code == 201, run.text
    report = run.json()
    found = {
        (i["kind"], i["entry_kind"], i["reference"], i["ledger_amount_fen"], i["statement_amount_fen"])
        for i in report["visible_differences"]
    }
    assert found == {
        ("missing", "pay", ref[a["id"]], 1000, None),
        ("mismatched", "pay", ref[b["id"]], 2000, 1999),
        ("mismatched", "refund", uuid.UUID(refund["id"]).hex, 500, 400),
        ("extra", "pay", ref[lost["id"]], None, 900),
        ("extra", "pay", stranger, None, 123),
    }
    assert report["differences"] == 5
    assert report["matched"] == 3  # c, d's payment, the other department's payment
    assert report["ledger_rows"] == 6 and report["statement_rows"] == 7
    lost_item = next(i for i in report["visible_differences"] if i["reference"] == ref[lost["id"]])
    assert lost_item["order_id"] == lost["id"] and lost_item["department"] == "gx-nn-market"

    # A city-level finance member of the department sees its four rows, not the stranger's.
    city = await svc.client.get(f"/v1/reconciliations/sandbox/{day}", headers=svc.finance("finance-1"))
    assert city.status_code == 200
    assert {i["reference"] for i in city.json()["visible_differences"]} == found_refs(found) - {stranger}
    other = await svc.client.get(
        f"/v1/reconciliations/sandbox/{day}", headers=svc.finance("f9", department="gx-other-dept")
    )
    assert other.json()["visible_differences"] == []
    missing_day = await svc.client.get("/v1/reconciliations/sandbox/2020-01-01", headers=svc.finance("finance-1"))
    assert missing_day.status_code == 404 and missing_day.json()["type"].endswith("reconciliation-report-not-found")

    # Running the day again replaces the report (the statement is now clean).
    svc.sandbox.statement_tamper = None
    again = await svc.client.post(
        "/v1/reconciliations", json={"business_date": day}, headers=svc.finance("finance-prov", region="450000")
    )
    assert {(i["kind"], i["reference"]) for i in again.json()["visible_differences"]} == {("extra", ref[lost["id"]])}
    assert len(await svc.sql("SELECT id FROM reconciliation_report")) == 1


def found_refs(found: set[tuple[Any, ...]]) -> set[str]:
    return {f[2] for f in found}


async def test_a_statement_not_signed_by_the_channel_is_refused(pg_payment) -> None:
    svc = pg_payment
    await _pay(svc, 100)
    from payment.signing import private_key

    svc.sandbox.key = private_key("A" * 43 + "=")  # the channel's key changed: we no longer trust it
    day = business_date(utcnow()).isoformat()
    resp = await svc.client.post("/v1/reconciliations", json={"business_date": day}, headers=svc.finance())
    assert resp.status_code == 502 and resp.json()["type"].endswith("channel-unavailable")
    assert await svc.sql("SELECT id FROM reconciliation_report") == []
