"""The event bus interface and the consuming policy both backends share.

Delivery is at least once. A handler that raises is retried in place (the partition waits, so order per
key holds) up to ``max_attempts``; then the record goes to the dead-letter topic ``<topic>.dlq`` with
the error in its headers, its offset is committed, and the partition moves on. A handler that could not
reach what it needs (its database, another service: :func:`unavailable`) is retried until the outage
ends instead: the event is not at fault, and dead-lettering it would lose work the platform accepted. One
that needs another event not yet arrived (:class:`NotYetKnown`) is retried for a longer, bounded time. A
malformed event (:class:`MalformedEvent`: it does not match its contract) is dead-lettered at the first
attempt: retrying cannot change its content.
Offsets are committed only after handling, so a consumer that dies re-reads what it had not finished.
A :class:`BatchHandler` (the inbox) gets several events of a partition in one transaction; a batch that
fails is rolled back and its events go through the one-at-a-time path above.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import ClassVar, Protocol, runtime_checkable

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace

from gov_common.events import CloudEvent, Headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer("gov_common.bus")
meter = metrics.get_meter("gov_common.bus")
_consumed = meter.create_counter("gov.events.consumed", description="events handled successfully")
_failed = meter.create_counter("gov.events.handler_failures", description="handler attempts that raised")
_dead = meter.create_counter("gov.events.dead_lettered", description="events sent to a dead-letter topic")
_handle_time = meter.create_histogram("gov.events.handle_duration", unit="s")

DLQ_SUFFIX = ".dlq"
# A batch stops taking events once it has run this long: its transaction (and the locks its handlers took)
# is committed rather than held while more events are applied.
BATCH_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Record:
    """A record as read from the log, before decoding."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where an event came from and which attempt this is (1-based)."""

    topic: str
    partition: int
    offset: int
    group: str
    attempt: int


Handler = Callable[[CloudEvent, Delivery], Awaitable[None]]


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can also apply several events in one transaction: inside ``async with h.batch(events) as
    each``, ``await each(event, delivery)`` per event, in order; leaving the block commits them together, and
    an exception out of it commits none (gov_common.inbox.idempotent is one). ``events`` announces the events
    about to be given (so they can be prepared together); a prefix of them may be given, or none."""

    async def __call__(self, event: CloudEvent, delivery: Delivery, /) -> None: ...

    def batch(self, events: Sequence[CloudEvent] = ()) -> AbstractAsyncContextManager[Handler]: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 10.0
    # How long an event may wait for one it needs (NotYetKnown) before it is dead-lettered after all.
    wait_for_missing_seconds: float = 900.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))


@dataclass(slots=True)
class ConsumerStats:
    handled: int = 0
    dead_lettered: int = 0
    failures: int = 0
    last_error: str | None = field(default=None)


class EventBus(ABC):
    """Publish CloudEvents to topics and consume them in consumer groups."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def publish_records(self, topic: str, records: Sequence[tuple[bytes | None, bytes, Headers]]) -> None:
        """Append records and return once the log has durably accepted all of them, in order."""

    # The backend's Consumer class, which :meth:`consumer` makes members of.
    consumer_class: ClassVar[type[Consumer]]

    def consumer(
        self,
        *,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        policy: RetryPolicy | None = None,
        batch_size: int = 1,
    ) -> Consumer:
        """A member of ``group``. With a :class:`BatchHandler`, up to ``batch_size`` events of a partition are
        applied in one transaction (see :meth:`Consumer.process_many`)."""
        return self.consumer_class(
            self, group=group, topics=topics, handler=handler, policy=policy, batch_size=batch_size
        )

    @abstractmethod
    async def ping(self) -> None:
        """Raise when the bus cannot be reached."""

    @abstractmethod
    async def lag(self, group: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        """Per (topic, partition): how many records the group has not committed yet (0 when caught up)."""

    async def publish(self, topic: str, events: Sequence[CloudEvent]) -> None:
        """Publish events to one topic, keyed by subject, returning once all are acknowledged.

        Each event gets its own producer span, a child of the span the event was created in (the request
        or handler that staged it in the outbox, possibly long ago), and carries that span's context on, so
        that the consumer's span is the producer span's child: one trace from the request to the handler."""
        spans = []
        records = []
        for event in events:
            parent = propagate.extract(event.trace_carrier()) if event.traceparent else None
            span = tracer.start_span(
                f"publish {topic}",
                context=parent,
                kind=trace.SpanKind.PRODUCER,
                attributes={
                    "messaging.operation.type": "send",
                    "messaging.destination.name": topic,
                    "messaging.message.id": event.id,
                    "cloudevents.event_type": event.type,
                },
            )
            spans.append(span)
            carrier: dict[str, str] = {}
            propagate.inject(carrier, context=trace.set_span_in_context(span))
            stamped = replace(event, traceparent=carrier.get("traceparent"), tracestate=carrier.get("tracestate"))
            records.append(stamped.to_record())
        try:
            await self.publish_records(topic, records)
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
            raise
        finally:
            for span in spans:
                span.end()


class NotYetKnown(Exception):
    """Raised by a handler whose event depends on another that has not arrived yet (the item version a
    submitted application names, before that catalog event reached this service). The other event is
    normally on its way (the producer's outbox guarantees it), so this is retried for
    ``RetryPolicy.wait_for_missing_seconds`` (the partition waits, which shows as consumer lag) and only then
    dead-lettered: an event that names something that will never come must not block its partition for
    ever."""


class MalformedEvent(ValueError):
    """Raised by a handler whose event does not match its contract (a field missing or invalid, an unknown
    version). Retrying cannot fix the content, so it is dead-lettered at once, its validation ``errors`` in the
    ``dlq_validation_errors`` header, and the partition moves on to the next event."""

    def __init__(self, message: str, *, errors: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class ConsumerStopping(Exception):
    """Raised out of :meth:`Consumer.process` when the consumer stops before the record was handled."""


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the handler could not reach something it needs: a refused
    or dropped connection, a timeout, the database gone (SQLAlchemy operational or interface errors, an
    invalidated connection), another service unreachable or answering 5xx. Not a fault of the event."""
    import httpx
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError | sa_exc.OperationalError | sa_exc.InterfaceError | httpx.TransportError):
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code >= 500:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class Consumer(ABC):
    """A running member of a consumer group. ``start`` spawns the loop; ``stop`` ends it cleanly."""

    def __init__(
        self,
        bus: EventBus,
        *,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        policy: RetryPolicy | None,
        batch_size: int = 1,
    ) -> None:
        self.bus = bus
        self.group = group
        self.topics = list(topics)
        self.handler = handler
        self.policy = policy or RetryPolicy()
        self.batch_size = max(1, batch_size) if isinstance(handler, BatchHandler) else 1
        self.batch_seconds = BATCH_SECONDS
        self.stats = ConsumerStats()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Start consuming in the background (again after a stop); a bus that is down now is retried."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._guarded_run(), name=f"consumer:{self.group}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=15)
            except TimeoutError:
                self._task.cancel()
            self._task = None
        await self._close()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def _guarded_run(self) -> None:
        while not self.stopping:
            try:
                await self._run()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The bus went away or a commit failed: back off and resume from the committed offsets.
                log.exception("consumer %s loop failed; resuming", self.group)
                await self._sleep(1.0)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    @abstractmethod
    async def _open(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    async def _run(self) -> None:
        """Read, call :meth:`process` per record in order, commit after handling, until stopping."""

    async def process_many(self, records: Sequence[Record]) -> int:
        """Handle one partition's ``records`` in order; how many were handled (fewer only when stopping).

        With a :class:`BatchHandler`, up to ``batch_size`` at a time are applied in one transaction, for at
        most ``batch_seconds`` (a slow handler must not hold its transaction's locks for long): one commit
        instead of one per event, which is what bounds a consumer's throughput. A batch that fails anywhere
        is rolled back whole and its events are handled again one at a time (:meth:`process`, with the
        retry policy and dead-lettering), so a bad event costs its batch a second pass, nothing more."""
        done = 0
        while done < len(records) and not self.stopping:
            if not await self._may_go_on(records[done - 1] if done else None):
                return done
            chunk = records[done : done + self.batch_size]
            together = await self._process_together(chunk) if len(chunk) > 1 else 0
            if together:
                done += together
                continue
            for record in chunk:
                if self.stopping or not await self._may_go_on(records[done - 1] if done else None):
                    return done
                try:
                    await self.process(record)
                except ConsumerStopping:
                    return done  # what was handled before it is committed; this one is read again
                done += 1
        return done

    async def _may_go_on(self, last_handled: Record | None) -> bool:
        """Whether this member may handle the next record of the partition (a backend whose members hold a
        lease renews it here); ``last_handled`` is the record before it, if any."""
        return True

    async def _process_together(self, records: Sequence[Record]) -> int:
        """A prefix of ``records`` through one batch of the handler (all of them unless ``batch_seconds``
        ran out first); how many were applied, 0 when the batch failed (then nothing was)."""
        assert isinstance(self.handler, BatchHandler)
        try:
            events = [CloudEvent.from_record(r.value, r.headers) for r in records]
        except (ValueError, UnicodeDecodeError):
            return 0  # the one-at-a-time pass dead-letters the undecodable record
        applied = 0
        try:
            async with self.handler.batch(events) as each:
                deadline = time.monotonic() + self.batch_seconds  # from the first handler on
                for record, event in zip(records, events, strict=True):
                    await self._handle(each, record, event, attempt=1)
                    applied += 1
                    if time.monotonic() >= deadline:
                        break
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info(
                "a batch of %d events failed in group %s (%s: %s); handling them one at a time",
                len(records),
                self.group,
                type(exc).__name__,
                exc,
            )
            return 0
        self.stats.handled += applied
        _consumed.add(applied, {"topic": records[0].topic, "group": self.group})
        return applied

    async def _handle(self, handler: Handler, record: Record, event: CloudEvent, *, attempt: int) -> None:
        """``handler`` on one event, in a consumer span that continues the event's trace."""
        token = otel_context.attach(propagate.extract(event.trace_carrier()))
        started = time.perf_counter()
        try:
            with tracer.start_as_current_span(f"process {record.topic}", kind=trace.SpanKind.CONSUMER) as span:
                span.set_attribute("messaging.operation.type", "process")
                span.set_attribute("messaging.destination.name", record.topic)
                span.set_attribute("messaging.destination.partition.id", str(record.partition))
                span.set_attribute("messaging.kafka.offset", record.offset)
                span.set_attribute("messaging.consumer.group.name", self.group)
                span.set_attribute("messaging.message.id", event.id)
                span.set_attribute("cloudevents.event_type", event.type)
                await handler(event, Delivery(record.topic, record.partition, record.offset, self.group, attempt))
        finally:
            otel_context.detach(token)
            _handle_time.record(time.perf_counter() - started, {"topic": record.topic, "group": self.group})

    async def process(self, record: Record) -> None:
        """Handle one record with retries; dead-letter it when they run out. Never raises for the handler."""
        try:
            event = CloudEvent.from_record(record.value, record.headers)
        except (ValueError, UnicodeDecodeError) as exc:
            await self._dead_letter(record, exc, attempts=0)
            return
        attempt = 0
        first_failure = 0.0
        while True:
            attempt += 1
            try:
                await self._handle(self.handler, record, event, attempt=attempt)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                _failed.add(1, {"topic": record.topic, "group": self.group})
                if attempt == 1:
                    first_failure = time.monotonic()
                if isinstance(exc, MalformedEvent):
                    give_up = True
                elif isinstance(exc, NotYetKnown):
                    give_up = time.monotonic() - first_failure >= self.policy.wait_for_missing_seconds
                else:
                    give_up = attempt >= self.policy.max_attempts and not unavailable(exc)
                if give_up:
                    log.error(
                        "event %s (%s) failed %d times in group %s; dead-lettering",
                        event.id,
                        event.type,
                        attempt,
                        self.group,
                        exc_info=exc,
                    )
                    await self._dead_letter(record, exc, attempts=attempt)
                    return
                if self.stopping:
                    # Not handled and not committed: the member that takes over reads it again.
                    raise ConsumerStopping(f"stopped while event {event.id} was being retried") from exc
                log.warning(
                    "event %s (%s) failed attempt %d in group %s: %s", event.id, event.type, attempt, self.group, exc
                )
                await self._sleep(self.policy.delay(attempt))
                continue
            self.stats.handled += 1
            _consumed.add(1, {"topic": record.topic, "group": self.group})
            return

    async def _dead_letter(self, record: Record, exc: BaseException, *, attempts: int) -> None:
        headers = [h for h in record.headers if not h[0].startswith("dlq_")]
        headers += [
            ("dlq_error", f"{type(exc).__name__}: {exc}"[:2000].encode()),
            ("dlq_error_type", type(exc).__name__.encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_group", self.group.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
        ]
        if isinstance(exc, MalformedEvent) and exc.errors:
            errors = json.dumps(exc.errors, ensure_ascii=False, default=str)
            headers.append(("dlq_validation_errors", errors[:4000].encode()))
        # If this publish fails the loop restarts from the committed offset: the record is not lost.
        await self.bus.publish_records(record.topic + DLQ_SUFFIX, [(record.key, record.value or b"", headers)])
        self.stats.dead_lettered += 1
        _dead.add(1, {"topic": record.topic, "group": self.group})
