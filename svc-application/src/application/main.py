"""svc-application: Applications (网上申报)."""

from __future__ import annotations

import dataclasses
from contextlib import aclosing
from pathlib import Path

from fastapi import FastAPI

from application import demo
from application.applications.router import router as applications_router
from application.appointments.router import router as appointments_router
from application.bundles.router import router as bundles_router
from application.case_lookups.router import router as case_lookups_router
from application.consumers import CASES, ITEMS
from application.delivery.router import router as delivery_router
from application.deps import AppContext
from application.licenses import HttpLicenseLookup
from application.logistics import AddressCipher, SandboxLogistics
from application.models import metadata
from application.settings import Settings
from application.storage import NoScanner
from gov_common.crypto import load_keys
from gov_common.service import ServiceSpec, Subscription, create_service_app, run_alongside
from gov_common.storage import storage_from
from gov_contracts.calendar import calendar_handlers

# The platform calendar (workflow's years) for hall opening days.
CALENDAR = calendar_handlers("application.calendar")


def subscriptions(settings: Settings) -> list[Subscription]:
    return [
        ITEMS.subscription(),
        CASES.subscription(),
        CALENDAR.subscription(),
    ]


SPEC = ServiceSpec(
    name="application",
    title="Applications (网上申报)",
    description="Applications, form data, materials, e-license reuse, pre-review, tracking numbers, appointments and delivery.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(applications_router, bundles_router, appointments_router, delivery_router, case_lookups_router),
    subscriptions=subscriptions(Settings()),
    demo=demo.seed,
)


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> FastAPI:
    """The ASGI app (``uvicorn application.main:create_app --factory``); ``context`` replaces the adapters
    (storage, scanner, license lookup, logistics) in tests."""
    settings = settings or Settings()
    keys = load_keys(settings, service="application")  # refused in production without real keys
    spec = dataclasses.replace(SPEC, subscriptions=subscriptions(settings))
    app = create_service_app(spec, settings)
    context = context or AppContext(
        settings=settings,
        storage=storage_from(settings, local_root=settings.effective_storage_dir),
        scanner=NoScanner(),
        licenses=HttpLicenseLookup(settings.certificates_url, timeout=settings.certificates_timeout_seconds),
        logistics=SandboxLogistics(),
        cipher=AddressCipher(keys.ring),
    )
    app.state.application = context
    run_alongside(app, lambda: aclosing(context.licenses), lambda: aclosing(context.storage))
    return app
