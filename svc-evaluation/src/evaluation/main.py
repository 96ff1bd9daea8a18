"""svc-evaluation: Service evaluation (好差评)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi import FastAPI

from evaluation import demo
from evaluation.consultations.router import router as consultations_router
from evaluation.consumers import CASES, HOTLINE, ITEMS
from evaluation.deps import Clock, EvaluationContext
from evaluation.models import metadata
from evaluation.ratings.router import router as ratings_router
from evaluation.rectifications.router import router as rectifications_router
from evaluation.settings import Settings
from evaluation.statistics.router import router as statistics_router
from evaluation.worker import Worker
from gov_common.service import ServiceSpec, Subscription, create_service_app, run_alongside, worker_running
from gov_contracts.calendar import calendar_handlers
from gov_standards.china_time import utcnow

# The platform calendar (workflow's years) for rectification and reply deadlines.
CALENDAR = calendar_handlers("evaluation.calendar")


def subscriptions(settings: Settings) -> list[Subscription]:
    return [
        CASES.subscription(),
        ITEMS.subscription(),
        HOTLINE.subscription(),
        CALENDAR.subscription(),
    ]


SPEC = ServiceSpec(
    name="evaluation",
    title="Service evaluation (好差评)",
    description="Ratings, rectification of bad ratings, consultations, complaints and statistics.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(ratings_router, rectifications_router, consultations_router, statistics_router),
    subscriptions=subscriptions(Settings()),
    demo=demo.seed,
)


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The ASGI app (``uvicorn evaluation.main:create_app --factory``); ``clock`` is for tests."""
    settings = settings or Settings()
    spec = dataclasses.replace(SPEC, subscriptions=subscriptions(settings))
    app = create_service_app(spec, settings)
    context = EvaluationContext(settings=settings, clock=clock)
    app.state.evaluation = context
    runtime = app.state.runtime
    worker = Worker(runtime.db, context, wake=runtime.relay.wake)
    app.state.worker = worker
    run_alongside(app, lambda: worker_running(worker, enabled=settings.worker_enabled))
    return app
