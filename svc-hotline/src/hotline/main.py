"""svc-hotline: the 12345 government service hotline (12345 政务服务便民热线)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi import FastAPI

from gov_common.crypto import load_keys
from gov_common.service import ServiceSpec, Subscription, create_service_app, run_alongside, worker_running
from gov_standards.china_time import utcnow
from hotline import demo
from hotline.consumers import CALENDAR, CITY_REPLIES, consultation_handlers
from hotline.deps import Clock, HotlineContext
from hotline.emergency import EmergencyLines, RecordingLines
from hotline.knowledge.router import router as knowledge_router
from hotline.models import metadata
from hotline.orders.router import router as orders_router
from hotline.settings import Settings
from hotline.supervision.router import router as supervision_router
from hotline.topics.router import router as topics_router
from hotline.worker import Worker, dictionary_loaded


def subscriptions(settings: Settings) -> list[Subscription]:
    """The platform calendar (workflow's years) for deadlines in working days; evaluation's consultations;
    the city hotlines' replies to forwarded orders (through exchange)."""
    return [CALENDAR.subscription(), consultation_handlers(settings).subscription(), CITY_REPLIES.subscription()]


SPEC = ServiceSpec(
    name="hotline",
    title="12345 hotline (12345 政务服务便民热线)",
    description="Work orders from every channel, dispatch and deadlines, callbacks, knowledge base, topic pool, supervision.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(orders_router, knowledge_router, topics_router, supervision_router),
    subscriptions=subscriptions(Settings()),
    demo=demo.seed,
)


def create_app(
    settings: Settings | None = None, *, clock: Clock = utcnow, emergency: EmergencyLines | None = None
) -> FastAPI:
    """The ASGI app (``uvicorn hotline.main:create_app --factory``); ``clock`` is for tests."""
    settings = settings or Settings()
    spec = dataclasses.replace(SPEC, subscriptions=subscriptions(settings))
    app = create_service_app(spec, settings)
    keys = load_keys(settings, service="hotline")  # refused in production without real keys
    context = HotlineContext(settings=settings, keys=keys, clock=clock, emergency=emergency or RecordingLines())
    app.state.hotline = context
    runtime = app.state.runtime
    worker = Worker(runtime.db, context, wake=runtime.relay.wake)
    app.state.worker = worker
    run_alongside(app, dictionary_loaded, lambda: worker_running(worker, enabled=settings.worker_enabled))
    return app
