"""svc-certificates: E-licenses and e-seals (电子证照与电子印章)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
from fastapi import FastAPI

from certificates.consumers import subscriptions
from certificates.context import Context
from certificates.demo import seed_demo
from certificates.figures import sampling
from certificates.licenses.router import router as licenses_router
from certificates.models import metadata
from certificates.notices.router import router as notices_router
from certificates.settings import Settings
from certificates.verification.router import router as verification_router
from certificates.wallet.router import router as wallet_router
from gov_common.service import ServiceSpec, create_service_app, run_alongside


def _unbound() -> Context:
    raise RuntimeError("consumers run inside an app made by create_app()")


SPEC = ServiceSpec(
    name="certificates",
    title="E-licenses and e-seals (电子证照与电子印章)",
    description="License types, issued e-licenses, department e-seals, verification, revocation status and the holder wallet.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(licenses_router, notices_router, verification_router, wallet_router),
    subscriptions=subscriptions(_unbound),
    demo=seed_demo,
)


def create_app(
    settings: Settings | None = None, *, identity_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The ASGI app (``uvicorn certificates.main:create_app --factory``); ``identity_transport`` lets tests
    answer identity's holder endpoint in-process."""
    settings = settings or Settings()
    ctx = Context.build(settings, identity_transport)
    spec = dataclasses.replace(SPEC, subscriptions=subscriptions(lambda: ctx))
    app = create_service_app(spec, settings)
    app.state.certificates = ctx
    run_alongside(app, lambda: sampling(app))  # seal keys' age for monitoring
    return app
