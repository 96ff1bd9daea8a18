#!/usr/bin/env python3
"""Events end to end (outbox -> bus -> idempotent consumer), embedded log + SQLite versus Kafka + PostgreSQL.

Events per second from the moment the relay starts until the consumer applied them all, with one event per
consumer transaction (the baseline every figure is divided by, measured in the same run) and with the
platform's default consumer batch. ``bench_events(count)`` measures, ``event_lines(results, count)`` writes
the Markdown table; run alone (``GOV_TEST_PG_DSN`` and ``GOV_TEST_KAFKA_BOOTSTRAP`` set) it prints both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import EventBus
from gov_common.bus.embedded import EmbeddedBus
from gov_common.bus.kafka import KafkaBus
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.inbox import idempotent
from gov_common.messaging import metadata as messaging_metadata
from gov_common.outbox import OutboxRelay, _add_event
from gov_common.settings import ServiceSettings
from gov_common.testing import database_with, fresh_pg_database

# One event per consumer transaction (batching off) is the baseline; the platform's default batch next to it.
EVENT_BATCHES = {"single": 1, "batched": ServiceSettings().consumer_batch_size}
BACKENDS = {"embedded": "embedded log + SQLite", "kafka": "Kafka + PostgreSQL"}


async def _stage(db: Database, topic: str, count: int) -> None:
    """``count`` events in the outbox, 200 per transaction, on 64 keys (subjects)."""
    for start in range(0, count, 200):
        async with db.transaction() as session:
            for n in range(start, min(start + 200, count)):
                await _add_event(
                    session, topic=topic, type="bench.happened", source="/bench", subject=f"k{n % 64}", data={"n": n}
                )


async def _events_once(db: Database, bus: EventBus, count: int, batch_size: int) -> float:
    topic = f"bench.{os.urandom(4).hex()}"
    await _stage(db, topic, count)
    applied = 0
    done = asyncio.Event()

    async def apply(_s: AsyncSession, _e: CloudEvent) -> None:
        nonlocal applied
        applied += 1
        if applied >= count:
            done.set()

    handler = idempotent(db, "bench", apply)
    group = f"bench-{os.urandom(3).hex()}"
    consumer = bus.consumer(group=group, topics=[topic], handler=handler, batch_size=batch_size)
    await consumer.start()
    await asyncio.sleep(2.0 if isinstance(bus, KafkaBus) else 0.1)  # let the group form
    relay = OutboxRelay(db, bus, batch_size=1000, poll_seconds=0.01)
    started = time.perf_counter()
    await relay.start()
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    await relay.stop()
    await consumer.stop()
    return count / elapsed


async def bench_events(count: int, backends: tuple[str, ...] = tuple(BACKENDS)) -> dict[str, float]:
    """``<backend>_<batch>_events_per_s`` for each backend and each of :data:`EVENT_BATCHES`, interleaved."""
    results: dict[str, float] = {}
    for name, batch in EVENT_BATCHES.items():
        if "embedded" in backends:
            with tempfile.TemporaryDirectory() as tmp:
                async with database_with(f"sqlite+aiosqlite:///{tmp}/svc.db", messaging_metadata) as db:
                    bus = EmbeddedBus(Path(tmp) / "events.db", poll_interval=0.01)
                    await bus.start()
                    results[f"embedded_{name}_events_per_s"] = await _events_once(db, bus, count, batch)
                    await bus.stop()
        if "kafka" in backends:
            async with (
                fresh_pg_database(os.environ["GOV_TEST_PG_DSN"]) as url,
                database_with(url, messaging_metadata) as db,
            ):
                kafka = KafkaBus(os.environ["GOV_TEST_KAFKA_BOOTSTRAP"], client_id="bench")
                await kafka.start()
                results[f"kafka_{name}_events_per_s"] = await _events_once(db, kafka, count, batch)
                await kafka.stop()
    return results


def event_lines(results: dict[str, float], count: int) -> list[str]:
    """The Markdown table of :func:`bench_events`' results, each rate also as a ratio to the embedded
    one-per-transaction rate of the same run."""
    base = results.get("embedded_single_events_per_s") or 0.0
    batch = EVENT_BATCHES["batched"]
    lines = [
        f"### Events end to end ({count} events, outbox -> bus -> idempotent consumer)",
        "| backend | consumer transactions | events/s | vs embedded, one per transaction |",
        "|---|---|---|---|",
    ]
    for backend, label in BACKENDS.items():
        for name, what in (("single", "one per event"), ("batched", f"up to {batch} events")):
            rate = results.get(f"{backend}_{name}_events_per_s")
            if rate is not None:
                ratio = f"{rate / base:.2f}" if base else ""
                lines.append(f"| {label} | {what} | {rate:,.0f} | {ratio} |")
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--backend", choices=list(BACKENDS), action="append", help="only these (repeatable)")
    args = parser.parse_args()
    results = asyncio.run(bench_events(args.events, tuple(args.backend or BACKENDS)))
    print("\n".join(event_lines(results, args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
