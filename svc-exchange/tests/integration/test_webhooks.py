"""Webhooks over real HTTP: events from Kafka fan out to subscribers of the right region, deliveries are
signed as documented (the receiver checks with the README's recipe only), retried with back-off until the
receiver recovers, dead-lettered when the schedule is used up, and redelivered on request."""

from __future__ import annotations

import socket
import uuid
from typing import Any

from gov_contracts.workflow import CaseAccepted, CaseCompleted


async def test_signed_deliveries_retry_until_the_receiver_recovers(serve_exchange: Any, receiver: Any) -> None:
    async with serve_exchange(kafka=True) as ex:
        await ex.register("nanning-platform")
        await ex.register("liuzhou-platform", region=ex.LIUZHOU)
        sub = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["workflow.case.completed"]},
            headers={**ex.system("nanning-platform"), "Idempotency-Key": "sub-1"},
        )
        assert sub.status_code == 201, sub.text
        again = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["workflow.case.completed"]},
            headers={**ex.system("nanning-platform"), "Idempotency-Key": "sub-1"},
        )
        assert again.json()["id"] == sub.json()["id"], "a retried subscription is the same one"
        assert again.status_code == 201 and again.json() == sub.json(), "the first answer, its secret included"
        assert again.headers["Idempotent-Replayed"] == "true" and again.headers["Location"] == sub.headers["Location"]
        reused = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["certificates.license.issued"]},
            headers={**ex.system("nanning-platform"), "Idempotency-Key": "sub-1"},
        )
        assert reused.status_code == 409 and reused.json()["type"].endswith(":idempotency-key-reused")
        other = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["workflow.case.completed"]},
            headers=ex.system("liuzhou-platform"),
        )
        assert other.status_code == 201
        receiver.secret = sub.json()["secret"]
        receiver.fail_next = 2  # the receiver is down for the first two attempts

        case_id = str(uuid.uuid4())
        event = await ex.publish(
            CaseCompleted,
            case_id,
            ex.case_event(case_id, completed_at="2026-11-20T10:00:00+08:00", result="approved", handled_by=["s1"]),
        )

        async def delivered() -> bool:
            # the receiver has it and the dispatcher recorded the answer (it commits after the response)
            rows = await ex.sql("SELECT status FROM webhook_delivery")
            return len(receiver.accepted) == 1 and [r.status for r in rows] == ["delivered"]

        await ex.eventually(delivered, 30, "the delivery after the receiver recovered")
        got = receiver.accepted[0]
        assert got["id"] == event.id and got["type"] == "workflow.case.completed"
        assert got["subject"] == case_id
        assert got["data"] == {
            "tracking_number": f"GX{case_id[:8]}",
            "item_code": "11450100MBQH0Y21QM4000112345000",
            "region": "450103",
            "status": "completed",
            "time": "2026-11-20T09:00:00+08:00",
        }, "the outbound fields of a case status change, no applicant"
        assert receiver.refused == [], "every signature verified with the documented recipe"
        (row,) = await ex.sql("SELECT status, attempts, last_status_code FROM webhook_delivery")
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 3, 204)
        # Liuzhou's platform subscribed to the same type, but the case is in Nanning: nothing for it.
        assert len(await ex.sql("SELECT id FROM webhook_delivery")) == 1


async def publish_an_accepted_case(ex: Any) -> None:
    """workflow.case.accepted of a new Nanning case, as workflow announces it."""
    case_id = str(uuid.uuid4())
    await ex.publish(CaseAccepted, case_id, ex.case_event(case_id, accepted_by="s1", deadline="2026-12-10"))


async def test_exhausted_deliveries_are_dead_lettered_and_redelivered_on_request(
    serve_exchange: Any, receiver: Any
) -> None:
    async with serve_exchange(kafka=True, webhook_backoff_seconds=[0.1, 0.1]) as ex:
        await ex.register("nanning-platform")
        await ex.register("liuzhou-platform", region=ex.LIUZHOU)
        sub = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["workflow.case.accepted"]},
            headers=ex.system("nanning-platform"),
        )
        receiver.secret = sub.json()["secret"]
        receiver.down = True
        await publish_an_accepted_case(ex)

        async def dead() -> bool:
            resp = await ex.client.get("/v1/webhooks/deliveries?status=dead", headers=ex.system("nanning-platform"))
            return resp.status_code == 200 and len(resp.json()["items"]) == 1

        await ex.eventually(dead, 30, "the dead-lettered delivery")
        (item,) = (
            await ex.client.get("/v1/webhooks/deliveries?status=dead", headers=ex.system("nanning-platform"))
        ).json()["items"]
        assert item["attempts"] == 3 and item["last_error"] == "HTTP 503"
        assert (
            await ex.client.get("/v1/webhooks/deliveries?status=dead", headers=ex.system("liuzhou-platform"))
        ).json()["items"] == [], "another system does not see it"
        stranger = await ex.client.post(
            f"/v1/webhooks/deliveries/{item['id']}/redeliver", headers=ex.system("liuzhou-platform")
        )
        assert stranger.status_code == 404
        citizen = await ex.client.get("/v1/webhooks/deliveries", headers=ex.issuer.headers("c1"))
        assert citizen.status_code == 403
        # platform admins see every system's deliveries on their own route; systems and other staff do not
        every = await ex.client.get("/v1/admin/webhook-deliveries?status=dead", headers=ex.admin())
        assert [d["id"] for d in every.json()["items"]] == [item["id"]]
        as_system = await ex.client.get("/v1/admin/webhook-deliveries", headers=ex.system("nanning-platform"))
        assert as_system.status_code == 403 and as_system.json()["error"] == "insufficient_scope"
        clerk = ex.staff("clerk", department=ex.NN_MARKET, roles=("acceptor",))
        assert (await ex.client.get("/v1/admin/webhook-deliveries", headers=clerk)).status_code == 403
        as_admin = await ex.client.get("/v1/webhooks/deliveries", headers=ex.admin())
        assert as_admin.json()["error"] == "insufficient_scope", "the system's route is for systems"

        receiver.down = False
        again = await ex.client.post(
            f"/v1/webhooks/deliveries/{item['id']}/redeliver", headers=ex.system("nanning-platform")
        )
        assert again.status_code == 200 and again.json()["status"] == "pending"

        async def delivered() -> bool:
            rows = await ex.sql("SELECT status FROM webhook_delivery")
            return len(receiver.accepted) == 1 and [r.status for r in rows] == ["delivered"]

        await ex.eventually(delivered, 20, "the redelivery")
        assert receiver.accepted[0]["_delivery_id"] == item["id"]
        (row,) = await ex.sql("SELECT status FROM webhook_delivery")
        assert row.status == "delivered"


async def test_subscriptions_are_validated_and_need_the_scope(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        await ex.register("no-hooks", scopes=["exchange.catalog.read"])
        await ex.register("hooks")
        body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["workflow.case.completed"]}
        refused = await ex.client.post("/v1/webhooks/subscriptions", json=body, headers=ex.system("no-hooks"))
        assert refused.status_code == 403 and refused.json()["type"].endswith("scope-not-granted")
        bad = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": "not a url", "event_types": ["payment.order.paid"]},
            headers=ex.system("hooks"),
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert {e["field"] for e in bad.json()["errors"]} == {"url", "event_types"}
        assert await ex.sql("SELECT id FROM webhook_subscription") == []


async def test_webhooks_never_reach_private_addresses_by_default(serve_exchange: Any, receiver: Any) -> None:
    """SSRF: a system must not make exchange call into the platform's own network. Loopback, private and
    link-local literals are refused at subscription; a host name is checked after DNS where each connection is
    made."""
    async with serve_exchange(kafka=True, webhook_allow_private_addresses=False, webhook_backoff_seconds=[]) as ex:
        await ex.register("nanning-platform")
        for url in (
            receiver.url,
            "http://localhost:8001/v1/systems",
            "http://[::1]/hooks",
            "http://[::ffff:10.0.0.5]/hooks",
            "http://10.96.0.1/",
            "http://169.254.169.254/latest/meta-data/",
        ):
            refused = await ex.client.post(
                "/v1/webhooks/subscriptions",
                json={"url": url, "event_types": ["workflow.case.accepted"]},
                headers=ex.system("nanning-platform"),
            )
            assert refused.status_code == 422, (url, refused.text)
            assert refused.json()["type"].endswith(":webhook-url-not-allowed"), refused.json()
        assert await ex.sql("SELECT id FROM webhook_subscription") == []

        # A host name is not checked at subscription; this machine's name resolves to one of its own
        # (loopback or private) addresses, which the check after DNS catches before the attempt.
        sneaky = f"http://{socket.gethostname()}:{receiver.url.rsplit(':', 1)[1]}"
        sub = await ex.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": sneaky, "event_types": ["workflow.case.accepted"]},
            headers=ex.system("nanning-platform"),
        )
        assert sub.status_code == 201, sub.text
        receiver.secret = sub.json()["secret"]
        await publish_an_accepted_case(ex)

        async def dead() -> bool:
            rows = await ex.sql("SELECT status, last_error, last_status_code FROM webhook_delivery")
            return [r.status for r in rows] == ["dead"]

        await ex.eventually(dead, 30, "the refused delivery to be dead-lettered")
        (row,) = await ex.sql("SELECT last_error, last_status_code FROM webhook_delivery")
        assert row.last_error.startswith("address not allowed: "), row
        assert row.last_status_code is None and receiver.accepted == [] and receiver.refused == []
