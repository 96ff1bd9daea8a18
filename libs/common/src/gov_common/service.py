"""The composition root every service shares: settings, database, migrations, bus, outbox relay,
consumers, token verification, telemetry and ``/metrics``, logs, problem+json and health, wired in one
lifespan.

A service describes itself with a :class:`ServiceSpec`; ``create_service_app(spec)`` builds its app.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common import health
from gov_common.auth import JWKSCache, RevocationList, TokenVerifier
from gov_common.bus import Consumer, EventBus, RetryPolicy, create_bus
from gov_common.db import Database
from gov_common.errors import install_problem_handlers
from gov_common.http import body_type_read, summarise_operations
from gov_common.inbox import SessionHandler, idempotent
from gov_common.migrations import upgrade
from gov_common.outbox import OutboxRelay
from gov_common.settings import ServiceSettings
from gov_common.telemetry import (
    Attributes,
    RequestObserver,
    SampledGauge,
    fastapi_telemetry,
    instrument_engine,
    metrics_endpoint,
    setup_logging,
    setup_providers,
)

log = logging.getLogger(__name__)

# Consumer lag and outbox backlog cost a round trip each to read, so they are sampled this often rather
# than on every scrape; a scrape shows the last sample.
SAMPLE_SECONDS = 5.0
consumer_lag = SampledGauge(
    "gov.events.consumer_lag", description="records a consumer group has not committed yet, per partition"
)
outbox_backlog = SampledGauge("gov.outbox.backlog", description="staged events not yet published")


@dataclass(frozen=True)
class Subscription:
    """Handle ``topics`` in the consumer group ``group``; each event once (inbox), in a transaction shared by
    at most ``batch_size`` (default ``consumer_batch_size``) events of a partition; the handler must not
    commit. A handler that waits on another service inside its transaction should take ``batch_size=1``.

    Services make theirs with ``gov_contracts.EventHandlers(...).subscription()``, which derives ``topics``
    from the contracts handled; the ``topic_prefix`` setting is put before each topic when consuming."""

    group: str
    topics: Sequence[str]
    handler: SessionHandler
    batch_size: int | None = None


DEMO_LOCK_KEY = 0x64656D6F  # "demo"
DemoSeeder = Callable[[AsyncSession, ServiceSettings], Awaitable[list[str]]]


def demo_subject(username: str) -> str:
    """The account id identity's demo data gives the demo person ``username`` (e.g. ``zhangsan``), so that the
    other services' demo data (an order to pay, a case to rate) belong to someone who can sign in."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:gov-platform:demo-account:{username}"))


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    description: str
    settings_cls: type[ServiceSettings]
    migrations_dir: Path
    metadata: MetaData | None = None
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    version: str = "0.1.0"
    # Loads demo data when settings.demo_data is on; idempotent; returns lines for the launcher to print
    # (how to sign in, what to try). Its events go through the outbox like any other.
    demo: DemoSeeder | None = None


@dataclass
class Runtime:
    """What a running service holds; on ``app.state.runtime``."""

    settings: ServiceSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    consumers: list[Consumer] = field(default_factory=list)


async def _sample(runtime: Runtime) -> None:
    """Measure consumer lag and the outbox backlog now; a figure that cannot be read is left out."""
    lag: dict[Attributes, float] = {}
    for consumer in runtime.consumers:
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that races the
            # call's completion, which once left this task running after the service had asked it to stop.
            async with asyncio.timeout(10):
                by_partition = await runtime.bus.lag(consumer.group, consumer.topics)
        except Exception as exc:
            # The consumer logs the outage itself; the group's lag is left out of the figures meanwhile.
            log.debug("could not read the lag of group %s: %r", consumer.group, exc)
            continue
        for (topic, partition), value in by_partition.items():
            lag[(("group", consumer.group), ("topic", topic), ("partition", partition))] = value
    consumer_lag.set(runtime, lag)
    try:
        async with asyncio.timeout(10):
            backlog = await runtime.relay.backlog()
    except Exception as exc:
        log.debug("could not read the outbox backlog: %r", exc)  # readiness reports the database
        outbox_backlog.forget(runtime)
    else:
        outbox_backlog.set(runtime, {(("service", runtime.settings.service_name),): backlog})


async def _keep_sampling(runtime: Runtime) -> None:
    try:
        while True:
            # A sample holds a database transaction (on SQLite, BEGIN IMMEDIATE: the write lock). Cancelled
            # half-way, under load its rollback can be cancelled too and the connection leak with the lock
            # held after the service has stopped; so a stop lets the sample end (its reads are bounded).
            sample = asyncio.create_task(_sample(runtime), name="sample-figures-once")
            try:
                await asyncio.shield(sample)
            except asyncio.CancelledError:
                await _let_finish(sample)
                raise
            await asyncio.sleep(SAMPLE_SECONDS)
    finally:
        consumer_lag.forget(runtime)
        outbox_backlog.forget(runtime)


async def _let_finish(task: asyncio.Task[None]) -> None:
    """Wait for ``task`` to end, through any further cancellation of the waiting task."""
    while not task.done():
        with suppress(asyncio.CancelledError):
            await asyncio.wait({task})


async def _seed_demo(seeder: DemoSeeder, runtime: Runtime) -> None:
    if runtime.settings.environment == "production":
        raise RuntimeError("demo data is refused in production")
    async with runtime.db.transaction() as session:
        if runtime.db.is_postgres:  # replicas (or workers) starting together seed one at a time
            await session.execute(sa.select(sa.func.pg_advisory_xact_lock(DEMO_LOCK_KEY)))
        lines = await seeder(session, runtime.settings)
    folder = runtime.settings.data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{runtime.settings.service_name}.txt").write_text("\n".join(lines) + "\n" if lines else "")


def revocation_list(settings: ServiceSettings, client: httpx.AsyncClient | None = None) -> RevocationList | None:
    """The revocation list ``settings`` point at (None when turned off), fetched with ``client`` if given."""
    url = settings.effective_revocation_url
    return RevocationList(url, refresh_seconds=settings.revocation_refresh_seconds, client=client) if url else None


def create_service_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or spec.settings_cls(service_name=spec.name)
    setup_logging(spec.name, level=settings.log_level, json_logs=settings.log_json)
    setup_providers(spec.name, settings.otlp_endpoint)
    db = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    bus = create_bus(settings)
    relay = OutboxRelay(db, bus, poll_seconds=settings.outbox_poll_seconds, topic_prefix=settings.topic_prefix)
    runtime = Runtime(settings=settings, db=db, bus=bus, relay=relay)
    policy = RetryPolicy(
        settings.consumer_max_attempts,
        settings.consumer_retry_backoff_seconds,
        wait_for_missing_seconds=settings.consumer_wait_for_missing_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade(db, spec.migrations_dir)
        if settings.demo_data and spec.demo is not None:
            await _seed_demo(spec.demo, runtime)
        await relay.start()
        for sub in spec.subscriptions:
            handler = idempotent(db, sub.group, sub.handler, on_commit=relay.wake)
            consumer = bus.consumer(
                group=sub.group,
                topics=[settings.topic_prefix + topic for topic in sub.topics],
                handler=handler,
                policy=policy,
                batch_size=sub.batch_size or settings.consumer_batch_size,
            )
            await consumer.start()
            runtime.consumers.append(consumer)
        log.info("%s started (bus=%s, database=%s)", spec.name, settings.event_bus, db.url.get_backend_name())
        try:
            async with background_task("sample-figures", lambda: _keep_sampling(runtime)):
                yield
        finally:
            for consumer in runtime.consumers:
                await consumer.stop()
            await relay.stop()
            await bus.stop()
            await db.dispose()
            log.info("%s stopped", spec.name)

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        # An app-wide dependency runs before every route's own (scopes, Idempotency-Key): 415 comes first.
        dependencies=[Depends(body_type_read)],
        telemetry=fastapi_telemetry(),
    )
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(
        JWKSCache(
            settings.jwks_url,
            ttl_seconds=settings.jwks_cache_seconds,
            min_refetch_seconds=settings.jwks_min_refetch_seconds,
        ),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        revocations=revocation_list(settings),
        cache_seconds=settings.token_cache_seconds,
        cache_size=settings.token_cache_size,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    for router in spec.routers:
        app.include_router(router)
    summarise_operations(app)
    app.add_middleware(RequestObserver)
    instrument_engine(db.engine)
    return app


def run_alongside(app: FastAPI, *parts: Callable[[], AbstractAsyncContextManager[object]]) -> None:
    """Keep a service's own background work (workers, sweeps, clients to close) running for the app's life:
    each part is entered once the foundation has started (migrations, relay, consumers) and left, in
    reverse order, before the foundation stops."""
    foundation = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with foundation(app_), AsyncExitStack() as stack:
            for part in parts:
                await stack.enter_async_context(part())
            yield

    app.router.lifespan_context = lifespan


@asynccontextmanager
async def background_task(name: str, work: Callable[[], Coroutine[Any, Any, object]]) -> AsyncIterator[None]:
    """``work()`` as a task for the block; cancelled and awaited when the block ends. The cancellation is
    repeated until the task ends: code inside it may swallow one (Python 3.11's ``asyncio.wait_for`` does when
    its call completes at that moment), and a shutdown must not wait for ever on a task that carried on."""
    task = asyncio.create_task(work(), name=name)
    try:
        yield
    finally:
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        with suppress(asyncio.CancelledError):
            await task


class StartStop(Protocol):
    def start(self) -> None: ...
    async def stop(self) -> None: ...


@asynccontextmanager
async def worker_running(worker: StartStop, *, enabled: bool = True) -> AsyncIterator[None]:
    """A worker with ``start()``/``stop()`` running for the block (not started when ``enabled`` is false)."""
    if enabled:
        worker.start()
    try:
        yield
    finally:
        await worker.stop()
