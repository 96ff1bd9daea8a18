"""Bearer tokens checked at the edge: signature (the identity service's JWKS), expiry, issuer, audience.

The services verify the same token again (zero trust between pods); the gateway's check only keeps
anonymous and forged traffic away from them. A verified token is remembered until it expires (at most
``token_cache_seconds``) in a bounded per-replica map, so a caller's next requests cost one lookup.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from contextvars import ContextVar

import httpx

from gateway.settings import GatewaySettings
from gov_common.auth import JWKSCache, Principal, TokenVerifier
from gov_common.service import revocation_list

log = logging.getLogger(__name__)

# Who made the current request, for the access log (a ``logging.Filter`` adds it to the record).
current_caller: ContextVar[tuple[str, str | None] | None] = ContextVar("gateway_caller", default=None)


class CallerLogFilter(logging.Filter):
    """Adds ``subject`` and ``client_id`` of the verified caller to access-log records; never the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        caller = current_caller.get()
        if caller is not None:
            record.subject, record.client_id = caller
        return True


def bearer_of(authorization: bytes | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` for any other header or none."""
    if authorization is None or len(authorization) < 8 or authorization[:7].lower() != b"bearer ":
        return None
    return authorization[7:].strip().decode("latin-1") or None


def _expiry(token: str) -> float:
    """The ``exp`` claim of a token that has just been verified (so the payload is well-formed)."""
    segment = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return float(claims["exp"])


class EdgeAuth:
    """Verifies bearer tokens with :class:`gov_common.auth.TokenVerifier` and caches the outcome."""

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        cache_seconds: float,
        cache_size: int,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.verifier = verifier
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._client = client
        # token -> (principal, wall-clock time until which it may be served from here)
        self._cache: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> EdgeAuth:
        """Keys from ``jwks_url``; ``token_issuer`` and ``token_audience`` checked, as in the services."""
        client = httpx.AsyncClient(timeout=5)
        jwks = JWKSCache(
            settings.jwks_url,
            ttl_seconds=settings.jwks_cache_seconds,
            min_refetch_seconds=settings.jwks_min_refetch_seconds,
            client=client,
        )
        verifier = TokenVerifier(
            jwks,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            revocations=revocation_list(settings, client),
        )
        return cls(
            verifier, cache_seconds=settings.token_cache_seconds, cache_size=settings.token_cache_size, client=client
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def principal(self, token: str) -> Principal:
        """The verified caller; raises :class:`ProblemError` (401 for a bad token, 503 without keys)."""
        now = time.time()
        hit = self._cache.get(token)
        if hit is not None:
            if hit[1] > now and not await self.verifier.is_revoked(hit[0]):
                return hit[0]
            del self._cache[token]
        principal = await self.verifier.verify(token)
        until = min(_expiry(token), now + self.cache_seconds)
        if until > now and self.cache_seconds > 0:
            if len(self._cache) >= self.cache_size:
                self._evict(now)
            self._cache[token] = (principal, until)
        return principal

    def _evict(self, now: float) -> None:
        """Drops the expired entries, and the oldest half if that is not enough (dicts keep insertion order)."""
        cache = self._cache
        for token in [t for t, (_, until) in cache.items() if until <= now]:
            del cache[token]
        if len(cache) >= self.cache_size:
            for token in list(cache)[: max(1, len(cache) // 2)]:
                del cache[token]
