"""svc-application: Applications (网上申报)."""

from pathlib import Path

from fastapi import FastAPI

from application.models import metadata
from application.settings import Settings
from gov_common.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="application",
    title="Applications (网上申报)",
    description="Applications, form data, materials, e-license reuse, pre-review, tracking numbers, appointments and delivery.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn application.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
