"""Bearer tokens checked at the edge: signature (the identity service's JWKS), expiry, issuer, audience.

The services verify the same token again (zero trust between pods); the gateway's check only keeps
anonymous and forged traffic away from them. The verifier remembers a verified token until it expires (at
most ``token_cache_seconds``, at most ``token_cache_size`` of them per replica; revocations checked on every
use), so a caller's next requests cost one lookup.
"""

from __future__ import annotations

import logging
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


class EdgeAuth:
    """Verifies bearer tokens at the edge with :class:`gov_common.auth.TokenVerifier` (which caches them)."""

    def __init__(self, verifier: TokenVerifier, *, client: httpx.AsyncClient | None = None) -> None:
        self.verifier = verifier
        self._client = client

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
            cache_seconds=settings.token_cache_seconds,
            cache_size=settings.token_cache_size,
        )
        return cls(verifier, client=client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def principal(self, token: str) -> Principal:
        """The verified caller; raises :class:`ProblemError` (401 for a bad token, 503 without keys)."""
        return await self.verifier.verify(token)
