"""svc-exchange: Data exchange (数据共享交换)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from exchange import consumers, demo
from exchange.audit.router import router as audit_router
from exchange.hotline.router import router as hotline_router
from exchange.imports.router import router as imports_router
from exchange.inbound.router import router as inbound_router
from exchange.keyring import WebhookSecrets, resealed
from exchange.models import metadata
from exchange.national.adapters import FolderAdapter, NationalAdapter
from exchange.national.router import router as national_router
from exchange.settings import Settings
from exchange.sharing.router import router as sharing_router
from exchange.systems.router import router as systems_router
from exchange.webhooks.router import admin_router as webhook_admin_router
from exchange.webhooks.router import router as webhooks_router
from exchange.webhooks.worker import Dispatcher
from gov_common.crypto import load_keys
from gov_common.service import ServiceSpec, create_service_app, run_alongside, worker_running

SPEC = ServiceSpec(
    name="exchange",
    title="Data exchange (数据共享交换)",
    description="External systems, inbound and outbound sync, webhooks, shared data and access audit.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(
        systems_router,
        inbound_router,
        webhooks_router,
        webhook_admin_router,
        sharing_router,
        audit_router,
        imports_router,
        national_router,
        hotline_router,
    ),
    subscriptions=[handlers.subscription() for handlers in consumers.HANDLERS],
    demo=demo.seed,
)


def create_app(settings: Settings | None = None, *, national_adapter: NationalAdapter | None = None) -> FastAPI:
    """The ASGI app (``uvicorn exchange.main:create_app --factory``). Refuses to start without its secret
    keys in production (the key ring, the blind-index key), or with a malformed key ring."""
    settings = settings or Settings()
    keys = load_keys(settings, service="exchange")
    ring = WebhookSecrets(keys.ring)
    app = create_service_app(SPEC, settings)
    folder = Path(settings.national_outbox_dir) if settings.national_outbox_dir else settings.data_dir / "national"
    app.state.national_adapter = national_adapter or FolderAdapter(folder)
    app.state.key_ring = ring
    app.state.blind_index = keys.index
    dispatcher = Dispatcher(app.state.runtime.db, settings, ring)
    app.state.webhook_dispatcher = dispatcher
    run_alongside(
        app,
        lambda: resealed(app.state.runtime.db, ring, settings.secret_reseal_seconds),
        lambda: worker_running(dispatcher, enabled=settings.webhook_worker_enabled),
    )
    return app
