"""The event-bus contract, run against both backends (embedded log, Apache Kafka)."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import DLQ_SUFFIX, Consumer, Delivery, Handler, NotYetKnown, RetryPolicy
from gov_common.events import CloudEvent
from gov_common.inbox import idempotent
from gov_common.messaging import inbox_event, outbox_event
from gov_common.outbox import _add_event
from gov_common.testing import eventually

from .conftest import Backend, wait_until

FAST = RetryPolicy(max_attempts=3, backoff_seconds=0.01)


def ev(key: str, n: int, **extra: object) -> CloudEvent:
    return CloudEvent(type="test.thing.happened", source="/tests", subject=key, data={"n": n, **extra})


async def test_order_per_key(backend: Backend, topic: str) -> None:
    keys = [f"agg-{i}" for i in range(5)]
    events = [ev(k, n) for n in range(40) for k in keys]
    seen: dict[str, list[int]] = defaultdict(list)

    async def handler(event: CloudEvent, _d: Delivery) -> None:
        seen[event.subject].append(event.data["n"])

    consumer = backend.bus.consumer(group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=handler)
    await consumer.start()
    try:
        for i in range(0, len(events), 50):
            await backend.bus.publish(topic, events[i : i + 50])
        await wait_until(lambda: sum(map(len, seen.values())) >= len(events), what="all events")
    finally:
        await consumer.stop()
    assert set(seen) == set(keys)
    for key in keys:
        assert seen[key] == list(range(40)), f"events of {key} out of order"


async def test_offsets_survive_consumer_restart(backend: Backend, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    first: list[int] = []
    second: list[int] = []

    def into(target: list[int]) -> Handler:
        async def handler(event: CloudEvent, _d: Delivery) -> None:
            target.append(event.data["n"])

        return handler

    await backend.bus.publish(topic, [ev("k", n) for n in range(10)])
    consumer = backend.bus.consumer(group=group, topics=[topic], handler=into(first))
    await consumer.start()
    await wait_until(lambda: len(first) >= 10, what="first ten")
    await consumer.stop()

    await backend.bus.publish(topic, [ev("k", n) for n in range(10, 20)])
    restarted = backend.new_bus()
    await restarted.start()
    consumer = restarted.consumer(group=group, topics=[topic], handler=into(second))
    await consumer.start()
    try:
        await wait_until(lambda: len(second) >= 10, what="next ten")
        await asyncio.sleep(0.5)  # would anything old come back?
    finally:
        await consumer.stop()
        await restarted.stop()
    assert first == list(range(10))
    assert second == list(range(10, 20))


async def test_redelivery_after_handler_failure(backend: Backend, topic: str) -> None:
    attempts: dict[int, int] = defaultdict(int)
    handled: list[int] = []

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        n = event.data["n"]
        attempts[n] += 1
        assert attempts[n] == delivery.attempt
        if n == 2 and delivery.attempt == 1:
            raise RuntimeError("transient failure")
        handled.append(n)

    consumer = backend.bus.consumer(group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=handler, policy=FAST)
    await consumer.start()
    try:
        await backend.bus.publish(topic, [ev("k", n) for n in range(5)])
        await wait_until(lambda: len(handled) >= 5, what="all handled")
    finally:
        await consumer.stop()
    assert handled == [0, 1, 2, 3, 4]
    assert attempts[2] == 2
    assert consumer.stats.failures == 1


async def test_dead_letter_after_bounded_retries(backend: Backend, topic: str) -> None:
    handled: list[int] = []
    dead: list[tuple[CloudEvent, dict[str, str]]] = []

    async def handler(event: CloudEvent, _d: Delivery) -> None:
        if event.data["n"] == 1:
            raise ValueError("poison")
        handled.append(event.data["n"])

    consumer = backend.bus.consumer(group="g-main", topics=[topic], handler=handler, policy=FAST)
    await consumer.start()
    try:
        await backend.bus.publish(topic, [ev("k", n) for n in range(3)])
        await wait_until(lambda: len(handled) >= 2, what="the healthy events")
    finally:
        await consumer.stop()
    assert handled == [0, 2], "the poison event must not block the ones after it"
    assert consumer.stats.dead_lettered == 1

    async def dlq_handler(event: CloudEvent, _d: Delivery) -> None:
        # The dead letter keeps the CloudEvent; the error travels in dlq_* headers, checked below.
        dead.append((event, {}))

    reader = backend.bus.consumer(group="g-dlq-reader", topics=[topic + DLQ_SUFFIX], handler=dlq_handler)
    await reader.start()
    try:
        await wait_until(lambda: len(dead) >= 1, what="the dead letter")
    finally:
        await reader.stop()
    assert dead[0][0].data["n"] == 1
    assert "poison" in (consumer.stats.last_error or "")


async def test_an_outage_is_waited_out_not_dead_lettered(backend: Backend, topic: str) -> None:
    """A handler that cannot reach its database (here: refused connections, twice the attempts the policy
    allows) is retried until the outage ends; the event is handled once and nothing is dead-lettered."""
    outage = FAST.max_attempts * 2
    attempts: list[int] = []
    handled: list[int] = []

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        if len(attempts) <= outage:
            raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("database refuses connections"))
        handled.append(event.data["n"])

    policy = RetryPolicy(max_attempts=FAST.max_attempts, backoff_seconds=0.01, max_backoff_seconds=0.05)
    consumer = backend.bus.consumer(group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=handler, policy=policy)
    await consumer.start()
    try:
        await backend.bus.publish(topic, [ev("k", 1), ev("k", 2)])
        await wait_until(lambda: len(handled) >= 2, what="both events after the outage")
    finally:
        await consumer.stop()
    assert handled == [1, 2], "the second waits behind the first: order per key holds through an outage"
    assert attempts == [*range(1, outage + 2), 1]
    assert consumer.stats.dead_lettered == 0 and consumer.stats.failures == outage


async def test_an_event_waiting_for_another_is_retried_for_the_wait_then_dead_lettered(
    backend: Backend, topic: str
) -> None:
    attempts: list[float] = []

    async def handler(event: CloudEvent, _d: Delivery) -> None:
        attempts.append(asyncio.get_running_loop().time())
        raise NotYetKnown("item 000112004000 version 9")

    policy = RetryPolicy(max_attempts=2, backoff_seconds=0.01, max_backoff_seconds=0.05, wait_for_missing_seconds=1.0)
    consumer = backend.bus.consumer(group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=handler, policy=policy)
    await consumer.start()
    try:
        await backend.bus.publish(topic, [ev("k", 9)])
        await wait_until(lambda: consumer.stats.dead_lettered == 1, what="the dead letter after the wait")
    finally:
        await consumer.stop()
    assert len(attempts) > policy.max_attempts, "not given up after the usual attempts"
    assert attempts[-1] - attempts[0] >= 1.0


async def test_a_consumer_stopped_during_an_outage_leaves_the_event_for_the_next(backend: Backend, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    tried = asyncio.Event()

    async def down(_event: CloudEvent, _d: Delivery) -> None:
        tried.set()
        raise ConnectionRefusedError("database refuses connections")

    policy = RetryPolicy(max_attempts=1, backoff_seconds=0.05, max_backoff_seconds=0.05)
    first = backend.bus.consumer(group=group, topics=[topic], handler=down, policy=policy)
    await first.start()
    await backend.bus.publish(topic, [ev("k", 5)])
    await asyncio.wait_for(tried.wait(), timeout=60)
    await first.stop()
    assert first.stats.dead_lettered == 0

    handled: list[int] = []

    async def up(event: CloudEvent, _d: Delivery) -> None:
        handled.append(event.data["n"])

    second = backend.bus.consumer(group=group, topics=[topic], handler=up, policy=policy)
    await second.start()
    try:
        await wait_until(lambda: handled == [5], what="the event, read again after the stop")
    finally:
        await second.stop()


async def test_dead_letter_carries_error_headers(backend: Backend, topic: str) -> None:
    from gov_common.bus.base import Record

    records: list[Record] = []

    async def failing(event: CloudEvent, _d: Delivery) -> None:
        raise KeyError("missing-field")

    consumer = backend.bus.consumer(group="g-fail", topics=[topic], handler=failing, policy=FAST)
    await consumer.start()
    try:
        await backend.bus.publish(topic, [ev("k", 7)])
        await wait_until(lambda: consumer.stats.dead_lettered == 1, what="dead-lettering")
    finally:
        await consumer.stop()

    reader = backend.bus.consumer(group="g-raw", topics=[topic + DLQ_SUFFIX], handler=failing)

    async def capture(record: Record) -> None:
        records.append(record)

    reader.process = capture  # type: ignore[method-assign]
    await reader.start()
    try:
        await wait_until(lambda: len(records) >= 1, what="raw dead letter")
    finally:
        await reader.stop()
    headers = {k: v.decode() for k, v in records[0].headers}
    assert headers["dlq_error_type"] == "KeyError"
    assert "missing-field" in headers["dlq_error"]
    assert headers["dlq_attempts"] == "3"
    assert headers["dlq_group"] == "g-fail"
    assert headers["dlq_original_topic"] == topic
    assert headers["ce_type"] == "test.thing.happened"


async def test_event_delivered_twice_changes_state_once(backend: Backend, topic: str) -> None:
    table = sa.table("inbox_event", sa.column("consumer"))
    counter: dict[str, int] = defaultdict(int)

    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        counter[event.id] += 1

    handler = idempotent(backend.db, "counter", apply)
    consumer = backend.bus.consumer(group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=handler)
    await consumer.start()
    once = ev("k", 1)
    try:
        await backend.bus.publish(topic, [once, once, ev("k", 2)])
        await wait_until(lambda: consumer.stats.handled >= 3, what="three deliveries")
    finally:
        await consumer.stop()
    assert counter[once.id] == 1
    assert sum(counter.values()) == 2
    async with backend.db.transaction() as session:
        rows = await session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.consumer == "counter"))
    assert rows == 2


async def test_batches_share_a_transaction_and_a_failing_batch_is_redone_one_by_one(
    backend: Backend, topic: str
) -> None:
    """With a batching handler (the inbox), events of a partition are applied several to a transaction, in
    order per key. A batch holding a poisoned event is rolled back whole: its other events are applied once
    each in the one-at-a-time pass (nothing twice, nothing lost), the poison is dead-lettered, and a
    duplicate delivery in the same batch changes nothing. What a handler applies is an outbox row here (the
    database's state, which a rollback undoes); the relay is woken once per committed transaction."""
    keys = [f"agg-{i}" for i in range(4)]
    events = [ev(k, n, poison=(k == "agg-2" and n == 7)) for n in range(30) for k in keys]
    out = f"{topic}.applied"
    sessions: dict[str, int] = defaultdict(int)
    commits = 0

    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        if event.data["poison"]:
            raise ValueError("poison")
        sessions[session.info.setdefault("test-transaction", uuid.uuid4().hex)] += 1
        await _add_event(
            session, topic=out, type="test.applied", source="/t", subject=event.subject or "", data=event.data
        )

    def on_commit() -> None:
        nonlocal commits
        commits += 1

    handler = idempotent(backend.db, f"batch-{uuid.uuid4().hex[:6]}", apply, on_commit=on_commit)
    consumer = backend.bus.consumer(
        group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=handler, policy=FAST, batch_size=25
    )
    await backend.bus.publish(topic, [*events, events[5]])
    await consumer.start()
    try:
        await wait_until(
            lambda: consumer.stats.handled + consumer.stats.dead_lettered >= len(events) + 1, what="every event"
        )
    finally:
        await consumer.stop()
    async with backend.db.transaction() as session:
        rows = (
            await session.execute(
                sa.select(outbox_event.c.subject, outbox_event.c.data)
                .where(outbox_event.c.topic == out)
                .order_by(outbox_event.c.seq)
            )
        ).all()
        inbox = await session.scalar(
            sa.select(sa.func.count()).select_from(inbox_event).where(inbox_event.c.consumer == handler.consumer)
        )
    for key in keys:
        expected = [n for n in range(30) if not (key == "agg-2" and n == 7)]
        assert [data["n"] for subject, data in rows if subject == key] == expected, key  # in order, each once
    assert consumer.stats.dead_lettered == 1
    assert inbox == len(events) - 1
    assert max(sessions.values()) > 1, "no two events ever shared a transaction"
    assert commits < len(events) - 1, "one commit per event"


async def test_a_slow_batch_commits_early(backend: Backend, topic: str) -> None:
    """A batch stops taking events once it has run ``batch_seconds``: slow handlers do not hold one
    transaction (and its locks) for fifty events."""
    per_transaction: dict[str, int] = defaultdict(int)
    applied: list[int] = []

    async def slow(session: AsyncSession, event: CloudEvent) -> None:
        await asyncio.sleep(0.03)
        per_transaction[session.info.setdefault("test-transaction", uuid.uuid4().hex)] += 1
        applied.append(event.data["n"])

    consumer = backend.bus.consumer(
        group=f"g-{uuid.uuid4().hex[:8]}", topics=[topic], handler=idempotent(backend.db, "slow", slow), batch_size=50
    )
    consumer.batch_seconds = 0.05
    await backend.bus.publish(topic, [ev("k", n) for n in range(12)])
    await consumer.start()
    try:
        await wait_until(lambda: len(applied) >= 12, what="the slow events")
    finally:
        await consumer.stop()
    assert applied == list(range(12))
    assert max(per_transaction.values()) == 2, per_transaction  # 2 x 0.03 s > 0.05 s


async def test_a_stop_during_the_one_by_one_pass_keeps_what_it_handled(backend: Backend, topic: str) -> None:
    """A batch with a poisoned event goes one event at a time; the consumer stops while an event after it
    waits out an outage. What was handled before that event is committed: the next member starts at the
    waiting event, and the poisoned one is not dead-lettered a second time. (Applied = an outbox row, which
    a rolled-back batch does not leave.)"""
    group, out = f"g-{uuid.uuid4().hex[:8]}", f"{topic}.applied"
    outage = True
    waiting = asyncio.Event()

    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        if event.data.get("poison"):
            raise ValueError("poison")
        if event.data["n"] == 3 and outage:
            waiting.set()
            raise ConnectionRefusedError("the database of this event is down")  # retried, never dead-lettered
        await _add_event(session, topic=out, type="test.applied", source="/t", subject="k", data=event.data)

    async def applied() -> list[int]:
        async with backend.db.transaction() as session:
            rows = await session.scalars(
                sa.select(outbox_event.c.data).where(outbox_event.c.topic == out).order_by(outbox_event.c.seq)
            )
            return [data["n"] for data in rows]

    def member() -> Consumer:
        handler = idempotent(backend.db, "stopping", apply)
        return backend.bus.consumer(group=group, topics=[topic], handler=handler, policy=FAST, batch_size=10)

    first = member()
    await backend.bus.publish(topic, [ev("k", 0), ev("k", 1, poison=True), ev("k", 2), ev("k", 3), ev("k", 4)])
    await first.start()
    await asyncio.wait_for(waiting.wait(), 30)
    await first.stop()
    assert await applied() == [0, 2] and first.stats.dead_lettered == 1
    outage = False
    second = member()
    await second.start()
    try:

        async def all_applied() -> bool:
            return len(await applied()) >= 4

        await eventually(all_applied, "the rest after the outage")
    finally:
        await second.stop()
    assert await applied() == [0, 2, 3, 4]
    assert second.stats.dead_lettered == 0, "the poisoned event was read again"
    assert second.stats.handled == 2, "the events handled before the stop were read again"


async def test_crash_before_commit_redelivers(backend: Backend, topic: str) -> None:
    """A consumer that dies mid-handling (no commit) leaves the event for the next member."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    started = asyncio.Event()
    got: list[int] = []

    async def hang(event: CloudEvent, _d: Delivery) -> None:
        if event.data["n"] == 1:
            started.set()
            await asyncio.sleep(3600)
        got.append(event.data["n"])

    crashing = backend.new_bus()
    await crashing.start()
    consumer = crashing.consumer(group=group, topics=[topic], handler=hang)
    await consumer.start()
    await backend.bus.publish(topic, [ev("k", 0), ev("k", 1), ev("k", 2)])
    await asyncio.wait_for(started.wait(), 30)
    assert consumer._task is not None
    consumer._task.cancel()  # the process dies: no stop(), no commit
    await asyncio.gather(consumer._task, return_exceptions=True)
    consumer._task = None
    await consumer._close()
    await crashing.stop()

    after: list[int] = []

    async def ok(event: CloudEvent, _d: Delivery) -> None:
        after.append(event.data["n"])

    successor = backend.bus.consumer(group=group, topics=[topic], handler=ok)
    await successor.start()
    try:
        await wait_until(lambda: 2 in after, timeout=60, what="redelivery to the successor")
    finally:
        await successor.stop()
    assert 1 in after, "the event being handled at the crash must be delivered again"
    assert after[-2:] == [1, 2]


async def test_lag_counts_what_the_group_has_not_committed(backend: Backend, topic: str) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    handled: list[int] = []

    async def handler(event: CloudEvent, _d: Delivery) -> None:
        handled.append(event.data["n"])

    async def lag_becomes(expected: int) -> None:
        for _ in range(300):
            if sum((await backend.bus.lag(group, [topic])).values()) == expected:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"lag of {group} never became {expected}: {await backend.bus.lag(group, [topic])}")

    await backend.bus.publish(topic, [ev(f"k{n}", n) for n in range(4)])
    await lag_becomes(4)  # a group that never committed reads from the start of the log
    consumer = backend.bus.consumer(group=group, topics=[topic], handler=handler)
    await consumer.start()
    await lag_becomes(0)
    await consumer.stop()
    await backend.bus.publish(topic, [ev(f"k{n}", n) for n in range(4, 7)])
    await lag_becomes(3)
    await consumer.start()  # the same consumer, started again after a stop
    try:
        await lag_becomes(0)
    finally:
        await consumer.stop()
    assert sorted(handled) == list(range(7))


async def test_a_malformed_event_is_dead_lettered_once_at_the_first_attempt(backend: Backend, topic: str) -> None:
    """MalformedEvent (the event does not match its contract) is not retried: it is dead-lettered once, with
    its validation errors in the headers, out of a batch as well, and the next event of the partition is
    handled."""
    from gov_common.bus import MalformedEvent
    from gov_common.bus.base import Record

    attempts: dict[int, int] = defaultdict(int)
    handled: list[int] = []

    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        attempts[event.data["n"]] += 1
        if event.data.get("malformed"):
            raise MalformedEvent("n: not a number", errors=[{"loc": ["n"], "type": "int_type"}])
        handled.append(event.data["n"])

    handler = idempotent(backend.db, f"malformed-{uuid.uuid4().hex[:6]}", apply)
    consumer = backend.bus.consumer(group="g-malformed", topics=[topic], handler=handler, policy=FAST, batch_size=10)
    await consumer.start()
    try:
        await backend.bus.publish(topic, [ev("k", 0), ev("k", 1, malformed=True), ev("k", 2)])
        await wait_until(lambda: 2 in handled, what="the event after the malformed one")
    finally:
        await consumer.stop()
    # The failed batch is rolled back, so 0 may be applied twice in memory (once in it); 1 is tried once in
    # the batch and once in the one-at-a-time pass that dead-letters it: never a retry.
    assert set(handled) == {0, 2}
    assert attempts[1] <= 2
    assert consumer.stats.dead_lettered == 1

    records: list[Record] = []

    async def capture(record: Record) -> None:
        records.append(record)

    reader = backend.bus.consumer(group="g-malformed-dlq", topics=[topic + DLQ_SUFFIX], handler=handler)
    reader.process = capture  # type: ignore[method-assign]
    await reader.start()
    try:
        await wait_until(lambda: len(records) >= 1, what="the dead letter")
        await asyncio.sleep(0.3)  # a second dead letter would show up by now
    finally:
        await reader.stop()
    assert len(records) == 1
    headers = {k: v.decode() for k, v in records[0].headers}
    assert headers["dlq_error_type"] == "MalformedEvent"
    assert headers["dlq_attempts"] == "1"
    assert '"int_type"' in headers["dlq_validation_errors"]
