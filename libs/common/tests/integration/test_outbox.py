"""Transactional outbox: nothing staged is lost, nothing rolled back is published, duplicates from a
relay crash are absorbed by the consumer's inbox. Run on both backends (Kafka + PostgreSQL included)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import Delivery, EventBus
from gov_common.events import CloudEvent, Headers
from gov_common.inbox import idempotent
from gov_common.messaging import outbox_event
from gov_common.outbox import OutboxRelay, _add_event

from .conftest import Backend, wait_until


async def stage(backend: Backend, topic: str, count: int, *, key: str = "case-1") -> list[str]:
    ids = []
    for n in range(count):
        async with backend.db.transaction() as session:
            event = await _add_event(
                session, topic=topic, type="test.case.changed", source="/tests", subject=key, data={"n": n}
            )
            ids.append(event.id)
    return ids


async def pending(backend: Backend) -> int:
    async with backend.db.transaction() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).select_from(outbox_event).where(outbox_event.c.published_at.is_(None))
        )
    return int(count or 0)


class CrashAfterPublish(EventBus):
    """Publishes for real, then fails as if the relay died before marking the rows."""

    def __init__(self, inner: EventBus) -> None:
        self.inner = inner
        self.crashes = 1

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ping(self) -> None: ...

    def consumer(self, **kwargs):  # type: ignore[no-untyped-def]
        return self.inner.consumer(**kwargs)

    async def lag(self, group: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        return await self.inner.lag(group, topics)

    async def publish_records(self, topic: str, records: Sequence[tuple[bytes | None, bytes, Headers]]) -> None:
        await self.inner.publish_records(topic, records)
        if self.crashes:
            self.crashes -= 1
            raise ConnectionError("relay died after publishing, before marking")


async def test_events_staged_while_relay_is_down_all_arrive_once(backend: Backend, topic: str) -> None:
    ids = await stage(backend, topic, 30)
    assert await pending(backend) == 30

    applied: Counter[str] = Counter()

    async def apply(_s: AsyncSession, event: CloudEvent) -> None:
        applied[event.id] += 1

    consumer = backend.bus.consumer(
        group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=idempotent(backend.db, "apply", apply)
    )
    await consumer.start()
    relay = OutboxRelay(backend.db, CrashAfterPublish(backend.bus), poll_seconds=0.05)
    try:
        # First round publishes and "crashes" before marking: the same events go out twice.
        try:
            await relay.publish_pending()
        except ConnectionError:
            pass
        assert await pending(backend) == 30, "rows stay pending when the relay dies before marking"
        await relay.start()  # the restarted relay
        await wait_until(lambda: consumer.stats.handled >= 60, what="both rounds delivered")
        await wait_until(lambda: len(applied) == 30, what="every event applied")
    finally:
        await relay.stop()
        await consumer.stop()
    assert set(applied) == set(ids)
    assert set(applied.values()) == {1}, "an idempotent consumer applies each event once"
    assert await pending(backend) == 0


async def test_rolled_back_transaction_publishes_nothing(backend: Backend, topic: str) -> None:
    class Boom(Exception):
        pass

    try:
        async with backend.db.transaction() as session:
            await _add_event(session, topic=topic, type="test.x", source="/tests", subject="a", data={})
            raise Boom
    except Boom:
        pass
    relay = OutboxRelay(backend.db, backend.bus)
    assert await relay.drain() == 0


async def test_relay_publishes_in_commit_order_with_trace_context(backend: Backend, topic: str) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        ids = await stage(backend, topic, 5)
        trace_id = format(span.get_span_context().trace_id, "032x")
    got: list[CloudEvent] = []

    async def collect(event: CloudEvent, _d: Delivery) -> None:
        got.append(event)

    consumer = backend.bus.consumer(group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=collect)
    await consumer.start()
    try:
        assert await OutboxRelay(backend.db, backend.bus).drain() == 5
        await wait_until(lambda: len(got) >= 5, what="five events")
    finally:
        await consumer.stop()
    assert [e.id for e in got] == ids
    assert [e.data["n"] for e in got] == list(range(5))
    assert all(e.traceparent and e.traceparent.split("-")[1] == trace_id for e in got)
    assert trace.get_current_span() is trace.INVALID_SPAN
