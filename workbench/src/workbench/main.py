"""The workbench's app: gov_web's backend-for-frontend mechanics with the workbench's pages and templates."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec
from gov_web.app import create_web_app
from gov_web.sessions import metadata
from workbench import display
from workbench.pages import cases, catalog, hall, halls, hotline, inbox, orders, ratings, staff, supervision, usage
from workbench.settings import Settings

HERE = Path(__file__).parent
MIGRATIONS = HERE.parents[1] / "migrations"
SITE_NAME = "广西政务服务工作平台"
# What `gov-migrate workbench` (the Kubernetes migration Job) needs: the workbench has a database (sessions)
# but no events, so only its settings and migrations are used.
SPEC = ServiceSpec(
    name="workbench",
    title=SITE_NAME,
    description="The staff work platform (政务服务工作平台)",
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
        routers=[
            inbox.router,
            cases.router,
            supervision.router,
            catalog.router,
            staff.router,
            hall.router,
            usage.router,
            halls.router,
            ratings.router,
            orders.router,
            hotline.router,
        ],
        globals={"d": display},
        embeds_own_files=True,  # the case page previews PDF materials in an <object>
    )
