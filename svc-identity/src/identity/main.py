"""svc-identity: Identity and single sign-on (统一身份认证)."""

from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, create_service_app
from identity.models import metadata
from identity.settings import Settings

SPEC = ServiceSpec(
    name="identity",
    title="Identity and single sign-on (统一身份认证)",
    description="Citizens, enterprises, staff, departments, regions and roles; the OpenID Connect provider of the platform.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn identity.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
