"""Who may call what. Every operation names one scope (:func:`gov_common.auth.scoped`); external systems are
denied by default: a ``system`` token passes only when its client id is registered here and active, and
the operation's scope is both in the token and granted in the registry (:func:`exchange.deps.system_with_scope`
loads it). Each system is rate limited. Staff
act by role (:mod:`gov_common.policy`); platform admins manage the registry.

Rate limiting is in memory, per process (token bucket per client id): no database round trip on every
call, and a limit of N per replica is enforced as N x replicas overall; the gateway's limit is the global
one. Documented in the README."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from gov_common.auth import Principal, scoped
from gov_common.errors import Forbidden
from gov_common.policy import admin_of

SCOPE_CATALOG_READ = "exchange.catalog.read"
SCOPE_CASES_WRITE = "exchange.cases.write"
SCOPE_WEBHOOKS = "exchange.webhooks.manage"
SCOPE_SHARED_QUERY = "exchange.shared.query"
SCOPE_NATIONAL = "exchange.national.read"
SCOPE_DISCOVERY = "exchange.discovery.read"
SCOPE_HOTLINE = "exchange.hotline.write"
SCOPE_ADMIN = "exchange.registry.admin"
# What the registry may grant a system (besides discovery, which only lists these grants).
SCOPES = {
    SCOPE_CATALOG_READ: "pull the published catalog of the system's region",
    SCOPE_CASES_WRITE: "push cases and their status changes",
    SCOPE_WEBHOOKS: "manage the system's own webhook subscriptions and deliveries",
    SCOPE_SHARED_QUERY: "ask for and query shared datasets the system's department is approved for",
    SCOPE_NATIONAL: "national platform adapter: read upward batches",
    SCOPE_HOTLINE: "city platforms: answer, close or return the 12345 work orders forwarded to them",
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


async def platform_admin(principal: Annotated[Principal, scoped(SCOPE_ADMIN)]) -> Principal:
    if not admin_of(principal, None):
        raise Forbidden("this operation is for platform administrators")
    return principal


PlatformAdminDep = Annotated[Principal, Depends(platform_admin)]
