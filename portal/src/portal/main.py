"""The portal's app: gov_web's backend-for-frontend mechanics with the portal's pages and templates."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec
from gov_web.app import create_web_app
from portal import guide
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
    return create_web_app(
        settings,
        site_name=SITE_NAME,
        template_dir=HERE / "templates",
        static_dir=HERE / "static",
        migrations_dir=MIGRATIONS,
        routers=[public.router, apply.router, space.router, appointments.router, consultations.router],
        globals={"g": guide},
    )
