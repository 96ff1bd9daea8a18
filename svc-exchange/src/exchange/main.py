"""svc-exchange: Data exchange (数据共享交换)."""

from pathlib import Path

from fastapi import FastAPI

from exchange.models import metadata
from exchange.settings import Settings
from gov_common.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="exchange",
    title="Data exchange (数据共享交换)",
    description="External systems, inbound and outbound sync, webhooks, shared data and access audit.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn exchange.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
