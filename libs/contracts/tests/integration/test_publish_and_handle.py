"""publish -> outbox -> relay -> bus -> EventHandlers, on the embedded log + SQLite and on Kafka + PostgreSQL:
the contract's topic (with the platform prefix), its dataschema, typed handling, and a malformed event
dead-lettered once while the next event of the partition is handled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import DLQ_SUFFIX, EventBus, RetryPolicy
from gov_common.bus.base import Record
from gov_common.bus.embedded import EmbeddedBus
from gov_common.bus.kafka import KafkaBus
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.inbox import idempotent
from gov_common.messaging import metadata as messaging_metadata
from gov_common.messaging import outbox_event
from gov_common.outbox import OutboxRelay, _add_event
from gov_common.testing import database_with, fresh_pg_database
from gov_contracts import Event, EventHandlers, publish


class ParcelSent(Event):
    topic: ClassVar[str] = "gov.test.parcels"
    type: ClassVar[str] = "test.parcel.sent"
    publisher: ClassVar[str] = "/svc-test"
    subject_field: ClassVar[str] = "parcel_id"

    parcel_id: str
    weight_g: int


@dataclass
class Setup:
    db: Database
    bus: EventBus


@pytest.fixture(params=["embedded", "kafka"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    async with AsyncExitStack() as stack:
        if request.param == "embedded":
            url = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
            bus: EventBus = EmbeddedBus(tmp_path / "events.db", poll_interval=0.02)
        else:
            url = await stack.enter_async_context(fresh_pg_database(request.getfixturevalue("pg_admin_dsn")))
            bus = KafkaBus(request.getfixturevalue("kafka_bootstrap"), client_id="contracts-test")
        db = await stack.enter_async_context(database_with(url, messaging_metadata))
        await bus.start()
        stack.push_async_callback(bus.stop)
        yield Setup(db, bus)


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_published_events_are_handled_typed_and_a_malformed_one_is_dead_lettered_once(setup: Setup) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    async with setup.db.transaction() as session:
        first = await publish(session, ParcelSent(parcel_id="p-1", weight_g=100))
        # A publisher that bypassed its contract: the same type with a payload the contract refuses.
        await _add_event(
            session,
            topic=ParcelSent.topic,
            type=ParcelSent.type,
            source="/svc-test",
            subject="p-1",
            data={"parcel_id": "p-1", "weight_g": "heavy"},
        )
        await publish(session, ParcelSent(parcel_id="p-1", weight_g=300))
    assert first.dataschema == "urn:gov-platform:event:test.parcel.sent:v1"
    assert first.subject == "p-1"
    async with setup.db.transaction() as session:
        stored = (await session.execute(sa.select(outbox_event.c.topic, outbox_event.c.dataschema))).all()
    assert stored[0] == ("gov.test.parcels", first.dataschema), "the outbox keeps the bare topic"

    handled: list[int] = []
    handlers = EventHandlers(group=f"test.parcels.{uuid.uuid4().hex[:6]}")

    @handlers.on(ParcelSent)
    async def sent(session: AsyncSession, event: ParcelSent, envelope: CloudEvent) -> None:
        assert envelope.dataschema == ParcelSent.dataschema()
        handled.append(event.weight_g)

    sub = handlers.subscription()
    consumer = setup.bus.consumer(
        group=sub.group,
        topics=[prefix + t for t in sub.topics],
        handler=idempotent(setup.db, sub.group, sub.handler),
        policy=RetryPolicy(max_attempts=5, backoff_seconds=0.01),
        batch_size=10,
    )
    relay = OutboxRelay(setup.db, setup.bus, topic_prefix=prefix)
    await consumer.start()
    try:
        assert await relay.drain() == 3
        await wait_until(lambda: 300 in handled, "the event after the malformed one")
    finally:
        await consumer.stop()
    assert set(handled) == {100, 300}
    assert consumer.stats.dead_lettered == 1
    assert consumer.stats.failures <= 2, "a malformed event is not retried (once in its batch, once alone)"

    dead: list[Record] = []
    reader = setup.bus.consumer(group="dlq-reader", topics=[prefix + ParcelSent.topic + DLQ_SUFFIX], handler=sent)  # type: ignore[arg-type]

    async def capture(record: Record) -> None:
        dead.append(record)

    reader.process = capture  # type: ignore[method-assign]
    await reader.start()
    try:
        await wait_until(lambda: len(dead) >= 1, "the dead letter")
        await asyncio.sleep(0.3)
    finally:
        await reader.stop()
    assert len(dead) == 1
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert (headers["dlq_error_type"], headers["dlq_attempts"]) == ("MalformedEvent", "1")
    assert '"weight_g"' in headers["dlq_validation_errors"]
