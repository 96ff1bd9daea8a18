"""Who may call what. Every operation names one scope (:func:`gov_common.auth.scoped`); external systems are
denied by default: a ``system`` token passes only when its client id is registered here and active, and
the operation's scope is both in the token and granted in the registry. Each system is rate limited. Staff
act by role (:mod:`gov_common.policy`); platform admins manage the registry.

Rate limiting is in memory, per process (token bucket per client id): no database round trip on every
call, and a limit of N per replica is enforced as N x replicas overall; the gateway's limit is the global
one. Documented in the README."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request

from exchange.errors import RateLimited, ScopeNotGranted, SystemNotRegistered
from exchange.models import ExternalSystem
from exchange.settings import Settings
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.policy import admin_of

SCOPE_CATALOG_READ = "exchange.catalog.read"
SCOPE_CASES_WRITE = "exchange.cases.write"
SCOPE_WEBHOOKS = "exchange.webhooks.manage"
SCOPE_SHARED_QUERY = "exchange.shared.query"
SCOPE_NATIONAL = "exchange.national.read"
SCOPE_DISCOVERY = "exchange.discovery.read"
SCOPE_ADMIN = "exchange.registry.admin"
# What the registry may grant a system (besides discovery, which only lists these grants).
SCOPES = {
    SCOPE_CATALOG_READ: "pull the published catalog of the system's region",
    SCOPE_CASES_WRITE: "push cases and their status changes",
    SCOPE_WEBHOOKS: "manage the system's own webhook subscriptions and deliveries",
    SCOPE_SHARED_QUERY: "ask for and query shared datasets the system's department is approved for",
    SCOPE_NATIONAL: "national platform adapter: read upward batches",
}
# Names a registry may still hold from before the scope catalogue (migration exchange_0004 renames them).
RETIRED_SCOPES = {"exchange.webhooks": SCOPE_WEBHOOKS, "exchange.national": SCOPE_NATIONAL}


@dataclass
class TokenBucket:
    rate_per_second: float
    burst: int
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, now: float | None = None) -> float:
        """0 when a request may pass, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        tokens, last = self._state.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_second)
        if tokens >= 1:
            self._state[key] = (tokens - 1, now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1 - tokens) / self.rate_per_second


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of)]


def limiter_of(request: Request) -> TokenBucket:
    bucket: TokenBucket | None = getattr(request.app.state, "exchange_rate_limiter", None)
    if bucket is None:
        settings = settings_of(request)
        bucket = TokenBucket(settings.rate_limit_per_minute / 60, settings.rate_limit_burst)
        request.app.state.exchange_rate_limiter = bucket
    return bucket


async def registered_system(session: Any, principal: Principal) -> ExternalSystem | None:
    if principal.kind != "system":
        return None
    client_id = principal.client_id or principal.subject
    system: ExternalSystem | None = await session.scalar(
        sa.select(ExternalSystem).where(ExternalSystem.client_id == client_id)
    )
    return system if system is not None and system.active else None


def system_with_scope(scope: str) -> Callable[..., Coroutine[Any, Any, ExternalSystem]]:
    """A dependency admitting only a registered, active system granted ``scope`` in its token (checked
    first, by :func:`scoped`) and in the registry."""

    # the scope is a default, not in the annotation: annotations are strings here, resolved without locals
    async def dependency(request: Request, session: SessionDep, principal: Principal = scoped(scope)) -> ExternalSystem:
        # the registry decides from here; records are bounded by the system's region where they are read
        if principal.kind != "system":
            raise Forbidden("this operation is for external systems")
        system = await registered_system(session, principal)
        if system is None:
            raise SystemNotRegistered()
        wait = limiter_of(request).take(system.client_id)
        if wait > 0:
            raise RateLimited(headers={"Retry-After": str(max(1, round(wait)))}, retry_after_seconds=round(wait, 3))
        if scope not in system.scopes:
            raise ScopeNotGranted(required_scope=scope)
        request.state.exchange_system = system
        return system

    return dependency


async def platform_admin(principal: Annotated[Principal, scoped(SCOPE_ADMIN)]) -> Principal:
    if not admin_of(principal, None):
        raise Forbidden("this operation is for platform administrators")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]
