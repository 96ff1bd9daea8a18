"""svc-workflow: Case handling (办件流转)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, Subscription, background_task, create_service_app, run_alongside
from workflow import consumers
from workflow.calendars.router import router as calendar_router
from workflow.calendars.service import load as load_calendar
from workflow.cases.countersigns import router as countersigns_router
from workflow.cases.notes import router as notes_router
from workflow.cases.router import router as cases_router
from workflow.clock import Clock
from workflow.demo import seed_demo
from workflow.models import metadata
from workflow.settings import Settings
from workflow.supervision import service as supervision
from workflow.supervision.router import orders_router
from workflow.supervision.router import router as supervision_router
from workflow.tasks.router import router as tasks_router

log = logging.getLogger(__name__)


def subscriptions(clock: Clock) -> list[Subscription]:
    return [handlers.subscription() for handlers in consumers.handlers(clock)]


SPEC = ServiceSpec(
    name="workflow",
    title="Case handling (办件流转)",
    description="Cases, staff tasks, decisions, working-day time limits, electronic supervision and the immutable trace.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(
        tasks_router,
        cases_router,
        notes_router,
        countersigns_router,
        supervision_router,
        orders_router,
        calendar_router,
    ),
    subscriptions=subscriptions(Clock()),
    demo=seed_demo,
)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The ASGI app (``uvicorn workflow.main:create_app --factory``). ``clock`` is for tests only; otherwise
    the system clock, ahead by ``clock_offset_seconds``."""
    settings = settings or Settings()
    clock = clock or Clock(timedelta(seconds=settings.clock_offset_seconds))
    spec = dataclasses.replace(SPEC, subscriptions=subscriptions(clock))
    app = create_service_app(spec, settings)  # logging is configured from here on
    app.state.clock = clock
    if clock.offset:
        log.warning(
            "the business clock runs %s ahead of real time (WORKFLOW_CLOCK_OFFSET_SECONDS): drills and tests only",
            clock.offset,
        )

    async def sweep_forever() -> None:
        db = app.state.runtime.db
        while True:
            await asyncio.sleep(settings.sla_sweep_seconds)
            try:
                async with db.transaction() as session:
                    calendar = await load_calendar(session)
                    sweep = await supervision.evaluate(
                        session, calendar=calendar, now=clock.now(), warn_share=settings.sla_warning_share
                    )
                if sweep.warned or sweep.overdue:
                    app.state.runtime.relay.wake()
            except Exception as exc:  # keep sweeping; the next round retries
                log.warning("SLA sweep failed: %s", type(exc).__name__)

    if settings.sla_sweep_enabled:
        run_alongside(app, lambda: background_task("sla-sweep", sweep_forever))
    return app
