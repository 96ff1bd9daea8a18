"""svc-certificates: E-licenses and e-seals (电子证照与电子印章)."""

from pathlib import Path

from fastapi import FastAPI

from certificates.models import metadata
from certificates.settings import Settings
from gov_common.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="certificates",
    title="E-licenses and e-seals (电子证照与电子印章)",
    description="License types, issued e-licenses, department e-seals, verification, revocation status and the holder wallet.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn certificates.main:create_app --factory``)."""
    return create_service_app(SPEC, settings)
