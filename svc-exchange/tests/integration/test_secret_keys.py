"""Webhook signing secrets at rest, on real PostgreSQL: no table holds a secret in clear, deliveries still
verify with the standardwebhooks library after a restart, secrets from before exchange_0003 are sealed by
exchange_0006, a key rotation moves every secret to the new key, and a wrong key is a clear error (the service
starts, the deliveries concerned fail without a request) that heals once the key is back."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from exchange.main import SPEC
from exchange.models import metadata
from exchange.webhooks.service import fan_out
from exchange.webhooks.signing import new_secret
from gov_common import messaging
from gov_common.crypto import parse
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.migrations import upgrade

EVENT = "workflow.case.completed"


def key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


async def subscribe_request(ex: Any, url: str, **headers: str) -> Any:
    return await ex.client.post(
        "/v1/webhooks/subscriptions",
        json={"url": url, "event_types": [EVENT]},
        headers={**ex.system("nanning-platform"), **headers},
    )


async def subscribe(ex: Any, url: str, **headers: str) -> dict[str, Any]:
    resp = await subscribe_request(ex, url, **headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def queue_event(ex: Any) -> CloudEvent:
    """A case event fanned out to the subscribers, as the cases consumer does, and the dispatcher woken."""
    case_id = str(uuid.uuid4())
    event = CloudEvent(type=EVENT, source="/svc-workflow", subject=case_id, data=ex.case_event(case_id))
    async with ex.db.transaction() as session:
        assert await fan_out(session, event) >= 1
    ex.app.state.webhook_dispatcher.wake()
    return event


async def delivered(ex: Any, receiver: Any, count: int) -> None:
    async def probe() -> bool:
        rows = await ex.sql("SELECT status FROM webhook_delivery WHERE status = 'delivered'")
        return len(receiver.accepted) >= count and len(rows) >= count

    await ex.eventually(probe, 60, f"{count} deliveries")


def verified_by_the_library(secret: str, receiver: Any) -> list[str]:
    """Ids of the received events whose signatures standardwebhooks accepts (it raises otherwise)."""
    return [Webhook(secret).verify(body, headers)["id"] for headers, body in receiver.raw]


async def every_stored_value(ex: Any) -> list[Any]:
    """Every value of every table of the service (its outbox and inbox too), as stored."""
    values: list[Any] = []
    for table in [*metadata.sorted_tables, *messaging.metadata.sorted_tables]:
        for row in await ex.sql(f"SELECT * FROM {table.name}"):
            values.extend(row)
    return values


def assert_not_stored(values: list[Any], secret: str) -> None:
    raw_key = base64.b64decode(secret.removeprefix("whsec_"))
    for value in values:
        blob = value if isinstance(value, bytes) else str(value).encode()
        assert b"whsec_" not in blob, value
        assert secret.removeprefix("whsec_").encode() not in blob, value
        assert raw_key not in blob, value


async def test_secrets_are_sealed_at_rest_and_signing_survives_a_restart(
    serve_exchange: Any, receiver: Any, capfd: Any
) -> None:
    async with serve_exchange(log_level="DEBUG") as ex:
        await ex.register("nanning-platform")
        created = await subscribe(ex, receiver.url, **{"Idempotency-Key": "sub-1"})
        secret = receiver.secret = created["secret"]
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
        replay = await subscribe(ex, receiver.url, **{"Idempotency-Key": "sub-1"})
        assert replay == created, "the idempotent replay answers as the creation did"
        listed = await ex.client.get("/v1/webhooks/subscriptions", headers=ex.system("nanning-platform"))
        assert listed.status_code == 200 and listed.json()["items"][0]["id"] == created["id"]
        assert "secret" not in listed.json()["items"][0] and secret[6:] not in listed.text

        (row,) = await ex.sql("SELECT secret, secret_key_id, secret_ciphertext FROM webhook_subscription")
        assert (row.secret, row.secret_key_id) == ("", "dev")
        assert parse(row.secret_ciphertext).kid == "dev"  # gov_common.crypto's v1 format
        assert_not_stored(await every_stored_value(ex), secret)
        assert not (ex.settings.data_dir / "exchange-secret-keys.json").exists(), "development keys are derived"

    async with serve_exchange(log_level="DEBUG") as ex:  # a restart: same database, same development key
        first = await queue_event(ex)
        await delivered(ex, receiver, 1)
        second = await queue_event(ex)
        await delivered(ex, receiver, 2)
        assert receiver.refused == []
        assert verified_by_the_library(secret, receiver) == [first.id, second.id]
        assert_not_stored(await every_stored_value(ex), secret)

    logs = capfd.readouterr()
    assert "webhook" in logs.err.lower(), "the service logged (so the check below reads something)"
    assert secret[6:] not in logs.out + logs.err, "the secret never reaches the logs"


async def test_secrets_in_clear_from_before_are_sealed_by_the_migration(
    serve_exchange: Any, receiver: Any, pg_url: str, monkeypatch: Any
) -> None:
    db = Database(pg_url)
    await upgrade(db, SPEC.migrations_dir, "exchange_0002")  # the schema that stored secrets in clear
    legacy, system_id, sub_id = new_secret(), uuid.uuid4(), uuid.uuid4()
    async with db.transaction() as session:
        await session.execute(
            sa.text(
                "INSERT INTO external_system (id, identifier, name, kind, region, department, client_id, scopes,"
                " active, created_at, created_by) VALUES (:id, 'GX/city/11450100MBQH0Y21QM/old', 'old',"
                " 'city_platform', '450100', '11450100MBQH0Y21QM', 'old-platform', :scopes, true, now(), 'admin')"
            ),
            {"id": system_id, "scopes": json.dumps(["exchange.webhooks"])},
        )
        await session.execute(
            sa.text(
                "INSERT INTO webhook_subscription (id, system_id, url, event_types, secret, active, created_at)"
                " VALUES (:id, :system, :url, :types, :secret, true, now())"
            ),
            {"id": sub_id, "system": system_id, "url": receiver.url, "types": json.dumps([EVENT]), "secret": legacy},
        )
        # a delivery queued before the outbound allow-list: the internal payload as it was
        await session.execute(
            sa.text(
                "INSERT INTO webhook_delivery (id, subscription_id, event_id, event_type, body, status, attempts,"
                " next_attempt_at, created_at) VALUES (:id, :sub, 'e0', :type, :body, 'dead', 9, NULL, now())"
            ),
            {"id": uuid.uuid4(), "sub": sub_id, "type": EVENT, "body": json.dumps({"data": {"applicant": "c1"}})},
        )
    await db.dispose()

    ring = {"2026-11": key()}
    monkeypatch.setenv("EXCHANGE_SEALING_KEYS", json.dumps(ring))  # the migration reads the environment
    async with serve_exchange(sealing_keys=ring) as ex:  # migrates to head, sealing
        (row,) = await ex.sql("SELECT id, secret, secret_key_id FROM webhook_subscription")
        assert (row.id, row.secret, row.secret_key_id) == (sub_id, "", "2026-11")
        (system,) = await ex.sql("SELECT scopes FROM external_system")
        granted = system.scopes if isinstance(system.scopes, list) else json.loads(system.scopes)
        assert granted == ["exchange.webhooks.manage"], "exchange_0004 renames the grant to the catalogue's name"
        assert await ex.sql("SELECT id FROM webhook_delivery") == [], "no internal payload is left to redeliver"
        assert_not_stored(await every_stored_value(ex), legacy)
        receiver.secret = legacy
        event = await queue_event(ex)
        await delivered(ex, receiver, 1)
        assert verified_by_the_library(legacy, receiver) == [event.id], "the integrator keeps the same secret"


async def test_rotation_moves_every_secret_to_the_current_key(serve_exchange: Any, receiver: Any) -> None:
    k1, k2 = key(), key()
    async with serve_exchange(sealing_keys={"k1": k1}) as ex:
        await ex.register("nanning-platform")
        receiver.secret = (await subscribe(ex, receiver.url))["secret"]
        (before,) = await ex.sql("SELECT secret_key_id, secret_ciphertext FROM webhook_subscription")
        assert before.secret_key_id == "k1"

    async with serve_exchange(sealing_keys={"k1": k1, "k2": k2}, sealing_key_id="k2") as ex:
        (after,) = await ex.sql("SELECT secret_key_id, secret_ciphertext FROM webhook_subscription")
        assert after.secret_key_id == "k2" and after.secret_ciphertext != before.secret_ciphertext
        first = await queue_event(ex)
        await delivered(ex, receiver, 1)

    async with serve_exchange(sealing_keys={"k2": k2}) as ex:  # k1 retired: nothing needs it any more
        second = await queue_event(ex)
        await delivered(ex, receiver, 2)
        assert receiver.refused == []
        assert verified_by_the_library(receiver.secret, receiver) == [first.id, second.id]


async def test_during_a_rollout_secrets_sealed_by_an_old_replica_move_to_the_current_key(
    serve_exchange: Any, receiver: Any
) -> None:
    k1, k2 = key(), key()
    async with (
        serve_exchange(sealing_keys={"k1": k1, "k2": k2}, sealing_key_id="k2", secret_reseal_seconds=0.2) as new,
        serve_exchange(sealing_keys={"k1": k1, "k2": k2}, sealing_key_id="k1", webhook_worker_enabled=False) as old,
    ):
        await old.register("nanning-platform")
        receiver.secret = (await subscribe(old, receiver.url))["secret"]
        (row,) = await new.sql("SELECT secret_key_id FROM webhook_subscription")
        assert row.secret_key_id == "k1", "the old replica seals under its current key"

        async def moved() -> bool:
            return [r.secret_key_id for r in await new.sql("SELECT secret_key_id FROM webhook_subscription")] == ["k2"]

        await new.eventually(moved, 30, "the new replica to move the secret to k2")

    async with serve_exchange(sealing_keys={"k2": k2}) as ex:  # so k1 may leave the ring
        event = await queue_event(ex)
        await delivered(ex, receiver, 1)
        assert verified_by_the_library(receiver.secret, receiver) == [event.id]


async def test_a_wrong_key_is_a_clear_error_not_a_crash(serve_exchange: Any, receiver: Any, capfd: Any) -> None:
    right = key()
    async with serve_exchange(sealing_keys={"k1": right}) as ex:
        await ex.register("nanning-platform")
        created = await subscribe(ex, receiver.url, **{"Idempotency-Key": "sub-1"})
        receiver.secret = created["secret"]

    capfd.readouterr()
    async with serve_exchange(sealing_keys={"k1": key()}, webhook_backoff_seconds=[0.1]) as ex:  # it starts
        health = await ex.client.get("/healthz")
        assert health.status_code == 200
        await queue_event(ex)

        async def dead() -> bool:
            return bool(await ex.sql("SELECT id FROM webhook_delivery WHERE status = 'dead'"))

        await ex.eventually(dead, 60, "the delivery to be dead-lettered")
        (delivery,) = await ex.sql("SELECT id, attempts, last_error, last_status_code FROM webhook_delivery")
        assert delivery.attempts == 2 and delivery.last_status_code is None
        assert "cannot read this subscription's signing secret" in delivery.last_error
        assert receiver.accepted == [] and receiver.refused == [], "nothing was sent unsigned or wrongly signed"
        replay = await subscribe_request(ex, receiver.url, **{"Idempotency-Key": "sub-1"})
        assert (replay.status_code, replay.headers["content-type"]) == (503, "application/problem+json")
        assert replay.json()["type"].endswith("secret-unavailable")
        (row,) = await ex.sql("SELECT secret_key_id FROM webhook_subscription")
        assert row.secret_key_id == "k1", "an unreadable secret is left as it is"
    logs = capfd.readouterr().err
    assert f"webhook subscription {created['id']}: its signing secret is unreadable" in logs
    assert "does not open with key 'k1'" in logs

    async with serve_exchange(sealing_keys={"k1": right}) as ex:  # the right key is back: redeliver
        resp = await ex.client.post(
            f"/v1/webhooks/deliveries/{delivery.id}/redeliver", headers=ex.system("nanning-platform")
        )
        assert resp.status_code == 200, resp.text
        ex.app.state.webhook_dispatcher.wake()
        await delivered(ex, receiver, 1)
        assert receiver.refused == []
