"""svc-hall: the smart service hall (智能化实体大厅)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, background_task, create_service_app, run_alongside
from gov_standards.china_time import utcnow
from hall import demo
from hall.agencies.router import router as agencies_router
from hall.calling.router import router as calling_router
from hall.consumers import APPOINTMENTS
from hall.deps import Clock, HallContext
from hall.figures.router import router as figures_router
from hall.halls.router import router as halls_router
from hall.kiosks.router import router as kiosks_router
from hall.models import metadata
from hall.screens.router import router as screens_router
from hall.settings import Settings
from hall.tickets.router import router as tickets_router
from hall.worker import keep_sweeping

SPEC = ServiceSpec(
    name="hall",
    title="Service hall (智能化实体大厅)",
    description="Halls, windows, queues, tickets, calling, screens, kiosks, window attendance and 全程代办.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(
        halls_router,
        tickets_router,
        calling_router,
        screens_router,
        kiosks_router,
        agencies_router,
        figures_router,
    ),
    subscriptions=(APPOINTMENTS.subscription(),),
    demo=demo.seed,
)


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """The ASGI app (``uvicorn hall.main:create_app --factory``); ``clock`` is for tests."""
    settings = settings or Settings()
    app = create_service_app(SPEC, settings)
    context = HallContext(settings=settings, clock=clock)
    app.state.hall = context
    runtime = app.state.runtime
    if settings.worker_enabled:
        run_alongside(
            app,
            lambda: background_task(
                "hall-no-show-sweep", lambda: keep_sweeping(runtime.db, context, runtime.relay.wake)
            ),
        )
    return app
