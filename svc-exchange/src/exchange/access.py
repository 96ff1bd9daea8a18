"""Who may call what. External systems are denied by default: a ``system`` token passes only when its
client id is registered here and active, and the scope an endpoint needs is both in the token and granted
in the registry. Each system is rate limited. Staff act by role; platform admins manage the registry.

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
from gov_common.auth import Principal, PrincipalDep
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden

PLATFORM_ADMIN = "platform_admin"
AUDITOR_ROLES = frozenset({"supervisor", PLATFORM_ADMIN})

SCOPE_CATALOG_READ = "exchange.catalog.read"
SCOPE_CASES_WRITE = "exchange.cases.write"
SCOPE_WEBHOOKS = "exchange.webhooks"
SCOPE_SHARED_QUERY = "exchange.shared.query"
SCOPE_NATIONAL = "exchange.national"
SCOPES = {
    SCOPE_CATALOG_READ: "pull the published catalog of the system's region",
    SCOPE_CASES_WRITE: "push cases and their status changes",
    SCOPE_WEBHOOKS: "manage the system's own webhook subscriptions",
    SCOPE_SHARED_QUERY: "query shared datasets the system's department is approved for",
    SCOPE_NATIONAL: "national platform adapter: read upward batches",
}


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
    """A dependency admitting only a registered, active system granted ``scope`` (token and registry)."""

    async def dependency(request: Request, principal: PrincipalDep, session: SessionDep) -> ExternalSystem:
        if principal.kind != "system":
            raise Forbidden("this operation is for external systems")
        system = await registered_system(session, principal)
        if system is None:
            raise SystemNotRegistered()
        wait = limiter_of(request).take(system.client_id)
        if wait > 0:
            raise RateLimited(headers={"Retry-After": str(max(1, round(wait)))}, retry_after_seconds=round(wait, 3))
        if scope not in principal.scopes or scope not in system.scopes:
            raise ScopeNotGranted(required_scope=scope)
        request.state.exchange_system = system
        return system

    return dependency


async def platform_admin(principal: PrincipalDep) -> Principal:
    if principal.kind != "staff" or PLATFORM_ADMIN not in principal.roles:
        raise Forbidden("this operation is for platform administrators")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]
