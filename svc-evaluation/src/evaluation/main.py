"""svc-evaluation: Service evaluation (好差评)."""

from pathlib import Path

from fastapi import FastAPI

from evaluation.models import metadata
from evaluation.settings import Settings
from gov_common.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="evaluation",
    title="Service evaluation (好差评)",
    description="Ratings, rectification of bad ratings, consultations, complaints and statistics.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn evaluation.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
