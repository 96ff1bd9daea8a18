"""Transactional outbox: events are rows written in the same transaction as the state they describe.

:func:`_add_event` stages an event in the caller's session: private, the mechanics under
``gov_contracts.publish``, the only way services publish (it validates the event against its contract), and
of the outbox's own tests. :class:`OutboxRelay` publishes staged events
in commit order and marks them; a crash between commit and publish, or between publish and mark, loses
nothing (the event is published again and consumers are idempotent through the inbox). One relay of several
replicas publishes at a time, which keeps order per aggregate: on PostgreSQL through an advisory lock, on
SQLite through a lock on a file next to the database.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from opentelemetry import metrics
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import EventBus
from gov_common.db import Database
from gov_common.events import CloudEvent, new_event
from gov_common.messaging import outbox_event
from gov_standards.china_time import utcnow

log = logging.getLogger(__name__)
meter = metrics.get_meter("gov_common.outbox")
_published = meter.create_counter("gov.outbox.published", description="outbox events published")
_publish_failures = meter.create_counter("gov.outbox.publish_failures", description="relay rounds that failed")
# By event type (a bounded set: the contracts'): what the platform decided, e.g. cases turning red
# (workflow.sla.overdue), for alerts and dashboards (deploy/monitoring).
_published_events = meter.create_counter("gov.outbox.published_events", description="outbox events published, by type")

ADVISORY_LOCK_KEY = 0x6F7574626F78  # "outbox"
PENDING_FLAG = "gov_outbox_pending"
# The seqs a relay marks, as one array parameter (``seq = ANY(:seqs)``) rather than a thousand.
_SEQS = ARRAY(sa.BigInteger())


async def _add_event(
    session: AsyncSession,
    *,
    topic: str,
    type: str,
    source: str,
    subject: str,
    data: dict[str, Any],
    dataschema: str | None = None,
) -> CloudEvent:
    """Stage an event in the caller's transaction; it is published only if that transaction commits.

    Internal: services publish with ``gov_contracts.publish(session, event)``, which calls this."""
    event = new_event(type=type, source=source, subject=subject, data=data, dataschema=dataschema)
    await session.execute(
        outbox_event.insert().values(
            event_id=event.id,
            topic=topic,
            type=event.type,
            source=event.source,
            subject=event.subject,
            time=event.time,
            data=event.data,
            traceparent=event.traceparent,
            tracestate=event.tracestate,
            dataschema=event.dataschema,
        )
    )
    session.info[PENDING_FLAG] = True
    return event


def _row_event(row: Any) -> CloudEvent:
    return CloudEvent(
        id=row.event_id,
        type=row.type,
        source=row.source,
        subject=row.subject,
        time=row.time,
        data=row.data,
        traceparent=row.traceparent,
        tracestate=row.tracestate,
        dataschema=row.dataschema,
    )


@contextmanager
def _relay_turn(db: Database) -> Iterator[bool]:
    """Whether this relay may publish now (no other relay on the same SQLite file, in any process, does): a
    non-blocking ``flock`` on ``<database>.relay.lock``, which the system releases if its holder dies."""
    database = db.url.database
    if not database or database == ":memory:":
        yield True  # a private in-memory database: no other relay can see it
        return
    with open(f"{database}.relay.lock", "a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


class OutboxRelay:
    """Publishes staged events. Wake it after a commit with :meth:`wake`; it also polls.

    ``topic_prefix`` (the platform-wide ``topic_prefix`` setting) is put before every contract's topic, so
    that several deployments (or test runs) can share one Kafka cluster."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        retention: timedelta = timedelta(days=7),
        topic_prefix: str = "",
    ) -> None:
        self.db = db
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retention = retention
        self.topic_prefix = topic_prefix
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    def wake(self) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of pending events in commit order; return how many were published."""
        published: dict[str, int] = {}
        if self.db.is_postgres:
            # One transaction: the advisory lock is the relays' turn, and blocks no writer meanwhile.
            async with self.db.transaction() as session:
                locked = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(ADVISORY_LOCK_KEY)))
                if not locked:
                    return 0
                rows = await self._pending(session)
                if rows:
                    published = await self._publish(rows)
                    await session.execute(
                        outbox_event.update()
                        .where(outbox_event.c.seq == sa.any_(sa.bindparam("seqs", [r.seq for r in rows], _SEQS)))
                        .values(published_at=utcnow())
                    )
        else:
            # SQLite's transactions hold the database's only write lock, which requests and consumers need too:
            # read, publish and mark in two short ones, the relays' turn being a lock on a file instead.
            with _relay_turn(self.db) as mine:
                if not mine:
                    return 0
                async with self.db.transaction() as session:
                    rows = await self._pending(session)
                if rows:
                    published = await self._publish(rows)
                    async with self.db.transaction() as session:
                        await session.execute(
                            outbox_event.update()
                            .where(outbox_event.c.seq.in_([r.seq for r in rows]))
                            .values(published_at=utcnow())
                        )
        for topic, n in published.items():
            _published.add(n, {"topic": topic})
        return sum(published.values())

    async def _pending(self, session: AsyncSession) -> Sequence[sa.Row[Any]]:
        return (
            await session.execute(
                sa.select(outbox_event)
                .where(outbox_event.c.published_at.is_(None))
                .order_by(outbox_event.c.seq)
                .limit(self.batch_size)
            )
        ).all()

    async def _publish(self, rows: Sequence[sa.Row[Any]]) -> dict[str, int]:
        """Publish ``rows`` in order, one call per topic; how many went to each topic."""
        by_topic: dict[str, list[CloudEvent]] = {}
        for row in rows:
            by_topic.setdefault(self.topic_prefix + row.topic, []).append(_row_event(row))
        for topic, events in by_topic.items():
            await self.bus.publish(topic, events)
        for type_, n in Counter(row.type for row in rows).items():
            _published_events.add(n, {"type": type_})
        return {topic: len(events) for topic, events in by_topic.items()}

    async def backlog(self) -> int:
        """How many staged events are not published yet (the partial index on unpublished rows serves it)."""
        async with self.db.transaction() as session:
            return int(
                await session.scalar(
                    sa.select(sa.func.count()).select_from(outbox_event).where(outbox_event.c.published_at.is_(None))
                )
                or 0
            )

    async def purge_published(self) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                outbox_event.delete().where(outbox_event.c.published_at < utcnow() - self.retention)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def drain(self) -> int:
        """Publish until nothing is pending (used at shutdown and in tests)."""
        total = 0
        while (n := await self.publish_pending()) > 0:
            total += n
        return total

    async def run(self) -> None:
        # The polling queries are not traced (a root span twice a second says nothing); the publish spans
        # are, as children of the requests that staged the events (EventBus.publish).
        with suppress_instrumentation():
            await self._run()

    async def _run(self) -> None:
        failures = 0
        since_purge = 0.0
        while not self._stop.is_set():
            # Cleared before reading, so that a commit waking it during the publish is not lost.
            self._wake.clear()
            try:
                n = await self.publish_pending()
                failures, self.last_error = 0, None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                _publish_failures.add(1)
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("outbox relay failed (%d in a row): %s", failures, self.last_error)
                n = 0
            if n >= self.batch_size:
                continue
            delay = self.poll_seconds if failures == 0 else min(0.5 * 2**failures, 30.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            since_purge += delay
            if since_purge > 3600:
                since_purge = 0.0
                try:
                    await self.purge_published()
                except Exception as exc:
                    log.warning("outbox purge failed: %s", exc)

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
            self._task = None
