"""12345 work orders forwarded to city hotlines, on PostgreSQL and Kafka with a receiver over real HTTP: a
``hotline.order.forwarded`` goes, signed, to the one city platform of its city (another city's platform,
subscribed to the same type, gets nothing); the platform's signed reply becomes
``exchange.hotline.reply_received`` once however often it is retried. Attacks, each changing nothing: a
forged or stale signature, another city's platform replying, an unknown order, a reply the forward no longer
takes, a token without the scope. A city without a platform gets nothing and the order goes back at once.
Restarted before the delivery was posted, exchange posts it: nothing is lost."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from gov_contracts.hotline import OrderForwarded

HOTLINE = "exchange.hotline.write"
SCOPES = ["exchange.webhooks.manage", HOTLINE]
LIUZHOU, LIUNAN = "450200", "450204"


def forwarded(order_id: str, *, city: str = LIUZHOU, region: str = LIUNAN) -> dict[str, Any]:
    """``hotline.order.forwarded`` data as svc-hotline publishes it."""
    return {
        "order_id": order_id,
        "number": f"GX12345-20261207-{order_id[:8].upper()}",
        "kind": "complaint",
        "category": "noise",
        "region": region,
        "occurred_at": "2026-12-07T10:00:00+08:00",
        "city": city,
        "urgency": "normal",
        "title": "工地夜间施工噪音",
        "content": "柳南区航鹰大道工地每晚施工到十二点以后。",
        "address": "航鹰大道 18 号",
        "due": "2026-12-14",
    }


async def subscribe(ex: Any, client_id: str, url: str) -> str:
    resp = await ex.client.post(
        "/v1/webhooks/subscriptions",
        json={"url": url, "event_types": ["hotline.order.forwarded"]},
        headers=ex.system(client_id, SCOPES),
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["secret"])


def signed(
    secret: str, body: dict[str, Any], *, msg_id: str | None = None, at: datetime | None = None
) -> tuple[str, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, raw),
        "content-type": "application/json",
    }
    return raw, headers


async def send(
    ex: Any, client_id: str, order_id: str, raw: str, headers: dict[str, str], scopes: list[str] = SCOPES
) -> Any:
    return await ex.client.post(
        f"/v1/hotline/orders/{order_id}/replies",
        content=raw.encode(),
        headers={**ex.system(client_id, scopes), **headers},
    )


async def replies(ex: Any) -> list[dict[str, Any]]:
    rows = await ex.sql("SELECT data FROM outbox_event WHERE type = 'exchange.hotline.reply_received' ORDER BY seq")
    return [r.data for r in rows]


async def test_a_forwarded_order_goes_to_its_city_and_the_signed_reply_comes_back(
    serve_exchange: Any, receiver: Any
) -> None:
    async with serve_exchange(kafka=True) as ex:
        await ex.register("liuzhou-12345", region=LIUZHOU, scopes=SCOPES)
        await ex.register("nanning-12345", region=ex.NANNING, scopes=SCOPES)
        secret = await subscribe(ex, "liuzhou-12345", receiver.url)
        nanning_secret = await subscribe(ex, "nanning-12345", receiver.url)  # would be refused by the receiver
        receiver.secret = secret
        order_id = str(uuid.uuid4())
        await ex.publish(OrderForwarded, order_id, forwarded(order_id))

        async def delivered() -> bool:
            rows = await ex.sql("SELECT status FROM webhook_delivery")
            return len(receiver.accepted) == 1 and [r.status for r in rows] == ["delivered"]

        await ex.eventually(delivered, 30, "the forwarded order at the Liuzhou platform")
        got = receiver.accepted[0]
        assert got["type"] == "hotline.order.forwarded" and receiver.refused == []  # Nanning's got nothing
        assert {k: got["data"][k] for k in ("order_id", "city", "region", "content")} == {
            "order_id": order_id,
            "city": LIUZHOU,
            "region": LIUNAN,
            "content": "柳南区航鹰大道工地每晚施工到十二点以后。",
        }
        [forward] = await ex.sql("SELECT status, city FROM hotline_forward WHERE order_id = :o", o=uuid.UUID(order_id))
        assert (forward.status, forward.city) == ("forwarded", LIUZHOU)

        answer = {"outcome": "answered", "answer": "已责令工地晚十点后停止施工。"}
        # Forged: signed with another key, or stale, or the body changed after signing; nothing changes.
        raw, headers = signed("whsec_" + "QUFB" * 11, answer)
        forged = await send(ex, "liuzhou-12345", order_id, raw, headers)
        assert forged.status_code == 401 and forged.json()["type"].endswith(":reply-signature-invalid"), forged.text
        raw, headers = signed(secret, answer, at=datetime.now(UTC) - timedelta(minutes=10))
        assert (await send(ex, "liuzhou-12345", order_id, raw, headers)).status_code == 401
        raw, headers = signed(secret, answer)
        tampered = raw.replace("停止施工", "继续施工")
        assert (await send(ex, "liuzhou-12345", order_id, tampered, headers)).status_code == 401
        # Another city's platform, signing with its own secret: the order is not its own.
        raw, headers = signed(nanning_secret, answer)
        assert (await send(ex, "nanning-12345", order_id, raw, headers)).status_code == 404
        # Its own key but no scope in the token; an order never forwarded; no answer.
        raw, headers = signed(secret, answer)
        narrow = await send(ex, "liuzhou-12345", order_id, raw, headers, ["exchange.webhooks.manage"])
        assert narrow.status_code == 403 and narrow.json()["required_scope"] == HOTLINE
        raw, headers = signed(secret, answer)
        assert (await send(ex, "liuzhou-12345", str(uuid.uuid4()), raw, headers)).status_code == 404
        raw, headers = signed(secret, {"outcome": "answered"})
        assert (await send(ex, "liuzhou-12345", order_id, raw, headers)).status_code == 422
        assert await replies(ex) == []
        [forward] = await ex.sql("SELECT status FROM hotline_forward WHERE order_id = :o", o=uuid.UUID(order_id))
        assert forward.status == "forwarded"

        # The real reply, retried under the same id: one event, the first answer again.
        raw, headers = signed(secret, answer)
        first = await send(ex, "liuzhou-12345", order_id, raw, headers)
        assert first.status_code == 200 and first.json()["status"] == "answered", first.text
        again = await send(ex, "liuzhou-12345", order_id, raw, headers)
        assert again.status_code == 200 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        [event] = await replies(ex)
        assert (event["outcome"], event["answer"], event["system"], event["reply_id"]) == (
            "answered",
            answer["answer"],
            f"GX/city/{ex.NN_MARKET}/liuzhou-12345",
            headers["webhook-id"],
        )
        # Answered, then closed; a later answer or return is refused (409) and changes nothing.
        raw, headers = signed(secret, {"outcome": "closed"})
        assert (await send(ex, "liuzhou-12345", order_id, raw, headers)).json()["status"] == "closed"
        for late in ({"outcome": "answered", "answer": "再次答复"}, {"outcome": "returned", "reason": "x"}):
            raw, headers = signed(secret, late)
            refused = await send(ex, "liuzhou-12345", order_id, raw, headers)
            assert refused.status_code == 409 and refused.json()["current_status"] == "closed", refused.text
        assert [e["outcome"] for e in await replies(ex)] == ["answered", "closed"]


async def test_a_city_without_a_platform_sends_the_order_back(serve_exchange: Any, receiver: Any) -> None:
    async with serve_exchange(kafka=True) as ex:
        await ex.register("liuzhou-12345", region=LIUZHOU, scopes=SCOPES)
        await subscribe(ex, "liuzhou-12345", receiver.url)
        order_id = str(uuid.uuid4())
        await ex.publish(OrderForwarded, order_id, forwarded(order_id, city="450300", region="450305"))

        async def returned() -> bool:
            return bool(await replies(ex))

        await ex.eventually(returned, 30, "the order returned for want of a Guilin platform")
        [event] = await replies(ex)
        assert (event["outcome"], event["system"], event["city"]) == ("returned", None, "450300")
        assert await ex.sql("SELECT 1 FROM webhook_delivery") == []


async def test_a_restart_before_the_delivery_loses_nothing(serve_exchange: Any, receiver: Any) -> None:
    """The forward is consumed and its delivery queued, then exchange stops before posting it (the worker
    off stands for a crash); started again, it posts the delivery."""
    order_id = str(uuid.uuid4())
    async with serve_exchange(kafka=True, webhook_worker_enabled=False) as ex:
        await ex.register("liuzhou-12345", region=LIUZHOU, scopes=SCOPES)
        receiver.secret = await subscribe(ex, "liuzhou-12345", receiver.url)
        await ex.publish(OrderForwarded, order_id, forwarded(order_id))

        async def queued() -> bool:
            return bool(await ex.sql("SELECT 1 FROM webhook_delivery WHERE status = 'pending'"))

        await ex.eventually(queued, 30, "the delivery queued")
    assert receiver.accepted == []
    async with serve_exchange() as again:

        async def posted() -> bool:
            rows = await again.sql("SELECT status FROM webhook_delivery")
            return len(receiver.accepted) == 1 and [r.status for r in rows] == ["delivered"]

        await again.eventually(posted, 30, "the delivery posted after the restart")
        assert receiver.accepted[0]["data"]["order_id"] == order_id
