"""svc-payment: Online payment (统一在线支付)."""

from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, create_service_app
from payment.models import metadata
from payment.settings import Settings

SPEC = ServiceSpec(
    name="payment",
    title="Online payment (统一在线支付)",
    description="Fee orders, channel adapters, signed notifications, refunds and reconciliation.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn payment.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
