"""What the gateway decides before a request may go upstream: rate limits and the bearer token.

Order: the peer address's limit first (it also shields token verification from floods), then the
token (verified when sent, required unless the route is public), then the caller's own limit.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from gateway.auth import EdgeAuth, bearer_of, current_caller
from gateway.limits import TokenBuckets, retry_after
from gateway.public_routes import PublicRouteTable, is_internal
from gateway.settings import GatewaySettings
from gov_common.auth import Principal
from gov_common.errors import ProblemError, problem_response

_CHALLENGE = 'Bearer realm="gov-platform"'
_CHALLENGE_INVALID = 'Bearer realm="gov-platform", error="invalid_token"'
# Never rate-limited: the probes of the gateway and (through it) of the services.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def _buckets(rate: float, burst: int, max_keys: int) -> TokenBuckets | None:
    return TokenBuckets(rate, burst, max_keys=max_keys) if rate > 0 else None


class Edge:
    """Admits a request or answers it (401, 429, 503) without bothering the upstream."""

    def __init__(self, settings: GatewaySettings, auth: EdgeAuth) -> None:
        self.auth = auth
        self.public = PublicRouteTable(settings.public_routes)
        self.per_address = _buckets(
            settings.rate_limit_per_address, settings.rate_limit_address_burst, settings.rate_limit_max_keys
        )
        self.per_client = _buckets(
            settings.rate_limit_per_client, settings.rate_limit_client_burst, settings.rate_limit_max_keys
        )

    def limit_address(self, scope: Scope) -> Response | None:
        """The peer's bucket (the peer as uvicorn reports it, after its own X-Forwarded-For handling)."""
        client = scope.get("client")
        if self.per_address is None or not client:  # no address (a Unix socket): nothing to tell callers apart
            return None
        wait = self.per_address.take(client[0])
        return _too_many(scope, wait, "address", self.per_address) if wait else None

    async def admit(self, scope: Scope, service: str, path: str) -> Response | None:
        """``None`` when the request to ``service`` at ``path`` (after ``/api/<service>``) may go on."""
        if is_internal(path):
            return problem_response(
                status=404, slug="not-found", detail=f"No route matches {path}", instance=scope["path"]
            )
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        token = bearer_of(authorization)
        if token is None:
            current_caller.set(None)
            if self.public.is_public(service, scope["method"], path):
                return None
            return _unauthenticated(scope, "Send an OAuth 2.0 bearer token in the Authorization header.", _CHALLENGE)
        try:
            principal = await self.auth.principal(token)
        except ProblemError as exc:
            if exc.status != 401:  # no signing keys to check it with: 503
                return exc.to_response(instance=scope["path"])
            return _unauthenticated(scope, exc.detail, _CHALLENGE_INVALID)
        except (ValueError, TypeError, KeyError, IndexError):  # claims of the wrong shape
            return _unauthenticated(scope, "the bearer token is not valid", _CHALLENGE_INVALID)
        current_caller.set((principal.subject, principal.client_id))
        if self.per_client is not None and path not in PROBE_PATHS:
            wait = self.per_client.take(caller_key(principal))
            if wait:
                return _too_many(scope, wait, "client", self.per_client)
        return None


def caller_key(principal: Principal) -> str:
    """Whose budget a request spends: a system's (client credentials) is its client's; a person's is their own,
    whichever app they use, since every citizen signing in through the web front-end shares its client id."""
    if principal.kind == "system" and principal.client_id:
        return "client:" + principal.client_id
    return "sub:" + principal.subject


def _unauthenticated(scope: Scope, detail: str | None, challenge: str) -> Response:
    return problem_response(
        status=401,
        slug="unauthenticated",
        title="Authentication required",
        detail=detail,
        instance=scope["path"],
        headers={"WWW-Authenticate": challenge},
    )


def _too_many(scope: Scope, wait: float, limit: str, buckets: TokenBuckets) -> Response:
    seconds = retry_after(wait)
    return problem_response(
        status=429,
        slug="too-many-requests",
        title="Too many requests",
        detail=f"The {limit} rate limit is exhausted; try again in {seconds} s.",
        instance=scope["path"],
        extensions={"limit": limit},
        headers={
            "Retry-After": seconds,
            "RateLimit-Limit": str(int(buckets.burst)),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": seconds,
        },
    )
