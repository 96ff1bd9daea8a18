"""svc-payment: Online payment (统一在线支付)."""

from __future__ import annotations

import dataclasses
from contextlib import aclosing
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from gov_common.service import ServiceSpec, Subscription, create_service_app, run_alongside, worker_running
from payment import consumers, demo
from payment.channels.base import ChannelAdapter
from payment.channels.sandbox import SandboxAdapter
from payment.combined.router import router as combined_router
from payment.deps import PaymentContext
from payment.models import metadata
from payment.orders.router import router as orders_router
from payment.reconciliation.router import router as reconciliation_router
from payment.refunds.router import router as refunds_router
from payment.sandbox.keys import sandbox_keys
from payment.sandbox.provider import PREFIX, SandboxChannel
from payment.settings import Settings
from payment.signing import private_key, public_key_b64
from payment.worker import Worker


def subscriptions(settings: Settings) -> list[Subscription]:
    return [consumers.handlers(ttl_seconds=settings.order_ttl_seconds).subscription()]


SPEC = ServiceSpec(
    name="payment",
    title="Online payment (统一在线支付)",
    description="Fee orders, channel adapters, signed notifications, refunds and reconciliation.",
    settings_cls=Settings,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    metadata=metadata,
    routers=(orders_router, combined_router, refunds_router, reconciliation_router),
    subscriptions=subscriptions(Settings()),
    demo=demo.seed,
)


def channel_adapters(settings: Settings) -> dict[str, ChannelAdapter]:
    """The channels this deployment takes payments through. Production has only real channels (none
    built yet); the sandbox adapter serves development and tests, and only when the sandbox is enabled."""
    if settings.environment == "production" or not settings.sandbox_enabled:
        return {}
    keys = sandbox_keys(settings)
    public = settings.sandbox_public_key or public_key_b64(private_key(keys.signing_seed))
    sandbox = SandboxAdapter(
        base_url=settings.sandbox_base_url,
        merchant_id=settings.sandbox_merchant_id,
        merchant_key=keys.merchant_key,
        channel_public_key=public,
        timeout=settings.channel_timeout_seconds,
    )
    return {sandbox.name: sandbox}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn payment.main:create_app --factory``)."""
    settings = settings or Settings()
    sandbox: SandboxChannel | None = None
    routers = list(SPEC.routers)
    if settings.sandbox_enabled and settings.environment != "production":
        keys = sandbox_keys(settings)
        sandbox = SandboxChannel(
            signing_seed=keys.signing_seed,
            merchants={settings.sandbox_merchant_id: keys.merchant_key},
            public_url=settings.public_base_url.rstrip("/") + PREFIX,
            notify_retries=settings.sandbox_notify_retries,
            notify_backoff_seconds=settings.sandbox_notify_backoff_seconds,
            duplicate_notifications=settings.sandbox_duplicate_notifications,
        )
        routers.append(sandbox.router())
    spec = dataclasses.replace(SPEC, routers=tuple(routers), subscriptions=subscriptions(settings))
    app = create_service_app(spec, settings)
    context = PaymentContext(settings=settings, channels=channel_adapters(settings))
    app.state.payment = context
    app.state.sandbox = sandbox
    worker = Worker(app.state.runtime.db, context)
    clients: list[ChannelAdapter | SandboxChannel] = [*context.channels.values()]
    if sandbox is not None:
        clients.append(sandbox)
    # Left in reverse order: the worker stops first, then the channel clients and the sandbox close.
    run_alongside(
        app,
        *(partial(aclosing, client) for client in clients),
        lambda: worker_running(worker, enabled=settings.worker_enabled),
    )
    return app
