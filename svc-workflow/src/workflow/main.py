"""svc-workflow: Case handling (办件流转)."""

from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, create_service_app
from workflow.models import metadata
from workflow.settings import Settings

SPEC = ServiceSpec(
    name="workflow",
    title="Case handling (办件流转)",
    description="Cases, staff tasks, decisions, working-day time limits, electronic supervision and the immutable trace.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn workflow.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
