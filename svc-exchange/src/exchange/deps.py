"""Dependencies of svc-exchange's endpoints: its settings, and the calling external system loaded from the
registry (denied by default, rate limited, granted the operation's scope)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from exchange.access import TokenBucket
from exchange.errors import RateLimited, ScopeNotGranted, SystemNotRegistered
from exchange.models import ExternalSystem
from exchange.settings import Settings
from exchange.systems.service import registered_system
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden


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
