"""The portal's app: gov_web's backend-for-frontend mechanics with the portal's pages and templates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, background_task
from gov_common.service_token import ServiceToken
from gov_web.app import create_web_app
from portal import guide, usage
from portal.models import metadata
from portal.pages import apply, appointments, consultations, public, space
from portal.settings import Settings

HERE = Path(__file__).parent
MIGRATIONS = HERE.parents[1] / "migrations"
SITE_NAME = "广西政务服务网"
# What `gov-migrate portal` (the Kubernetes migration Job) needs: the portal has a database (sessions,
# usage figures) but no events, so only its settings and migrations are used.
SPEC = ServiceSpec(
    name="portal",
    title=SITE_NAME,
    description="The internet portal (互联网政务服务门户)",
    settings_cls=Settings,
    migrations_dir=MIGRATIONS,
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_web_app(
        settings,
        site_name=SITE_NAME,
        template_dir=HERE / "templates",
        static_dir=HERE / "static",
        migrations_dir=MIGRATIONS,
        routers=[public.router, apply.router, space.router, appointments.router, consultations.router],
        globals={"g": guide},
    )
    if settings.usage_client_secret.get_secret_value():
        _report_usage(app, settings)
    return app


def _report_usage(app: FastAPI, settings: Settings) -> None:
    """While the app runs, its usage counts go to the catalog (where staff read the statistics)."""
    web = app.state.web
    token = ServiceToken(
        client_id=settings.usage_client_id,
        client_secret=settings.usage_client_secret.get_secret_value(),
        scope="catalog.usage.report",
        endpoint="/api/identity/token",
    )
    outer = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with outer(a):
            work = partial(usage.report_forever, web.db, web.http, token, settings.usage_report_seconds)
            async with background_task("report-usage", work):
                yield

    app.router.lifespan_context = lifespan
