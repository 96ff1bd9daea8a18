"""svc-catalog: Service catalog (事项目录)."""

from pathlib import Path

from fastapi import FastAPI

from catalog.bundles.router import router as bundles_router
from catalog.caching import PublishedCache
from catalog.guides.router import router as guides_router
from catalog.items.router import router as items_router
from catalog.models import metadata
from catalog.search.router import router as browse_router
from catalog.seed.loader import seed_demo
from catalog.settings import Settings
from catalog.usage.router import router as usage_router
from gov_common.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="catalog",
    title="Service catalog (事项目录)",
    description="Standard service items per region, materials, forms, fees, time limits, process templates, one-thing bundles, publishing and search.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(items_router, bundles_router, browse_router, usage_router, guides_router),
    demo=seed_demo,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn catalog.main:create_app --factory``)."""
    settings = settings or Settings()
    app = create_service_app(SPEC, settings)
    app.state.published = PublishedCache(
        app.state.runtime.db.sessionmaker,
        max_entries=settings.read_cache_entries,
        ttl=settings.current_ttl_seconds,
        max_age=settings.current_max_age_seconds,
    )
    return app
