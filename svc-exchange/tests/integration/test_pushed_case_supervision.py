"""A city platform's pushed case reaches supervision with its acceptance time, deadline and state changes
(``exchange.case.synced``), and the platform hears of supervision orders on its cases by webhook; nobody else
does (another platform of the region, orders on the province's own cases)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from gov_contracts.exchange import CaseSynced
from gov_contracts.workflow import SupervisionOrderIssued, SupervisionOrderReplied

from .test_inbound import pushed_case


async def test_a_push_carries_acceptance_deadline_and_changes(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        await ex.register("nanning-platform")
        case = pushed_case(
            "C-10",
            status="supplement_requested",
            status_at="2026-11-23T09:00:00+08:00",
            accepted_at="2026-11-20T09:00:00+08:00",
            deadline="2026-11-27",
            changes=[{"status": "accepted", "status_at": "2026-11-20T09:00:00+08:00"}],
        )
        bad = [
            pushed_case("C-11", changes=[{"status": "accepted", "status_at": "2026-11-30T09:00:00+08:00"}]),
            pushed_case("C-12", deadline="27/11/2026"),
            pushed_case("C-13", accepted_at="2026-11-19T09:00:00+08:00"),  # before it was received
            pushed_case("C-14", changes=[{"status": "lost", "status_at": "2026-11-20T09:00:00+08:00"}]),
        ]
        push = await ex.client.post(
            "/v1/cases:push", json={"cases": [case, *bad]}, headers=ex.system("nanning-platform")
        )
        assert push.status_code == 200, push.text
        assert (push.json()["created"], push.json()["rejected"]) == (1, 4)
        assert [e["case_id"] for e in push.json()["errors"]] == ["C-11", "C-12", "C-13", "C-14"]
        (row,) = await ex.sql("SELECT type, data FROM outbox_event")
        synced = CaseSynced.read(row.data)
        assert synced.deadline is not None and synced.deadline.isoformat() == "2026-11-27"
        accepted = datetime.fromisoformat("2026-11-20T09:00:00+08:00")
        assert synced.accepted_at == accepted
        assert [(c.status, c.at) for c in synced.changes] == [("accepted", accepted)]
        (record,) = await ex.sql("SELECT deadline, accepted_at FROM case_record")
        assert record.deadline.isoformat() == "2026-11-27"


def order_event(order_id: str, *, kind: str, source: str | None, region: str = "450103") -> dict[str, Any]:
    """``workflow.supervision.order_*`` data as svc-workflow publishes it."""
    case = {
        "kind": kind,
        "id": str(uuid.uuid4()),
        "tracking_number": "NN-C-1",
        "item_code": "11450100MBQH0Y21QM4000112345000",
    }
    if source is not None:
        case |= {"source": source, "external_id": "C-1"}
    return {
        "order_id": order_id,
        "target": kind,
        "case": case,
        "department": "11450100MBQH0Y21QM",
        "region": region,
        "deadline": "2026-11-27",
        "occurred_at": "2026-11-24T10:00:00+08:00",
        "reason": "超期未办结，请说明原因",
        "working_days": 3,
        "issued_by": "sup-1",
        "issuer_region": "450100",
    }


async def test_the_platform_hears_of_orders_on_its_own_cases_only(serve_exchange: Any) -> None:
    async with serve_exchange(kafka=True) as ex:
        platform = await ex.register("nanning-platform")
        await ex.register("nanning-other")  # same region, did not push the case
        subscriptions = {}
        for client in ("nanning-platform", "nanning-other"):
            sub = await ex.client.post(
                "/v1/webhooks/subscriptions",
                json={
                    "url": "https://hooks.example.org/gov",
                    "event_types": ["workflow.supervision.order_issued", "workflow.supervision.order_replied"],
                },
                headers=ex.system(client),
            )
            assert sub.status_code == 201, sub.text
            subscriptions[client] = sub.json()["id"]
        mine, province_case = str(uuid.uuid4()), str(uuid.uuid4())
        issued = await ex.publish(
            SupervisionOrderIssued, mine, order_event(mine, kind="external_case", source=platform["identifier"])
        )
        await ex.publish(SupervisionOrderIssued, province_case, order_event(province_case, kind="case", source=None))
        replied = order_event(mine, kind="external_case", source=platform["identifier"])
        for key in ("reason", "working_days", "issued_by", "issuer_region"):
            replied.pop(key)
        await ex.publish(
            SupervisionOrderReplied, mine, replied | {"reply": "已办结", "replied_by": "staff-1", "late": True}
        )

        async def both_queued() -> bool:
            return len(await ex.sql("SELECT id FROM webhook_delivery")) == 2

        await ex.eventually(both_queued, 30, "the order's deliveries")
        rows = await ex.sql(
            "SELECT subscription_id, event_id, event_type, body FROM webhook_delivery ORDER BY event_type"
        )
        assert {str(r.subscription_id) for r in rows} == {subscriptions["nanning-platform"]}
        assert [r.event_type for r in rows] == [
            "workflow.supervision.order_issued",
            "workflow.supervision.order_replied",
        ]
        assert rows[0].event_id == issued.id
        data = json.loads(rows[0].body)["data"]
        assert data == {
            "order_id": mine,
            "case_id": "C-1",
            "tracking_number": "NN-C-1",
            "item_code": "11450100MBQH0Y21QM4000112345000",
            "department": "11450100MBQH0Y21QM",
            "region": "450103",
            "deadline": "2026-11-27",
            "time": "2026-11-24T10:00:00+08:00",
        }, "the platform's own case id, no reason text"
        assert "已办结" not in rows[1].body and json.loads(rows[1].body)["data"]["late"] is True
