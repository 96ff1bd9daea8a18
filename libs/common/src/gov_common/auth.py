"""Bearer-token verification against the identity service's JWKS.

The key set is fetched on first use and cached; a token signed with an unknown ``kid`` makes the
verifier refetch once (no more often than ``min_refetch_seconds``), then refuse. The verified claims
become a :class:`Principal`; endpoints declare what they need with :func:`require`. A verified token is
remembered by its SHA-256 digest until it expires (at most ``cache_seconds``), in a bounded per-process map,
so a caller's next requests cost a hash and a look-up; the revocation list is still checked every time.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import httpx
from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowAuthorizationCode, OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, Field

from gov_common.errors import Forbidden, InsufficientScope, ServiceUnavailable, Unauthenticated
from gov_common.scopes import CATALOGUE

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256", "ES256", "EdDSA", "Ed25519"]
PrincipalKind = Literal["citizen", "enterprise", "staff", "system"]


class Principal(BaseModel):
    """Who is calling: a person, an enterprise agent, a staff member or an external system."""

    subject: str
    kind: PrincipalKind
    roles: frozenset[str] = Field(default_factory=frozenset)
    scopes: frozenset[str] = Field(default_factory=frozenset)
    region: str | None = None
    department: str | None = None
    client_id: str | None = None
    enterprise: str | None = None  # the enterprise an agent acts for
    assurance_level: int = 1
    token_id: str | None = None  # jti
    session_id: str | None = None  # sid: the sign-in session a person's token belongs to

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        scope = claims.get("scope", "")
        return cls(
            subject=str(claims["sub"]),
            kind=claims.get("kind", "citizen"),
            roles=frozenset(claims.get("roles", [])),
            scopes=frozenset(scope.split() if isinstance(scope, str) else scope),
            region=claims.get("region"),
            department=claims.get("department"),
            client_id=claims.get("client_id") or claims.get("azp"),
            enterprise=claims.get("enterprise"),
            assurance_level=_assurance(claims.get("acr")),
            token_id=str(claims["jti"]) if claims.get("jti") else None,
            session_id=str(claims["sid"]) if claims.get("sid") else None,
        )

    def has_roles(self, *roles: str) -> bool:
        return set(roles) <= self.roles

    def has_scopes(self, *scopes: str) -> bool:
        return set(scopes) <= self.scopes


def _assurance(acr: Any) -> int:
    """The ``acr`` claim carries the assurance level as "1", "2" or "3" (self-registered, verified against
    base data, verified in person)."""
    try:
        return max(1, min(3, int(str(acr))))
    except (TypeError, ValueError):
        return 1


class JWKSCache:
    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 300,
        min_refetch_seconds: float = 10,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._client = client
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._refreshed_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def _fetch(self) -> KeySet:
        client = self._client or httpx.AsyncClient(timeout=5)
        try:
            resp = await client.get(self.url)
            resp.raise_for_status()
            keys = KeySet.import_key_set(resp.json())
        finally:
            if self._client is None:
                await client.aclose()
        self.fetch_count += 1
        return keys

    async def get(self, *, refresh: bool = False) -> KeySet:
        """The key set; ``refresh`` refetches unless a refresh happened less than ``min_refetch_seconds``
        ago, so that tokens with made-up key ids cannot make us hammer the identity service."""
        async with self._lock:
            now = time.monotonic()
            stale = self._keys is None or now - self._fetched_at > self.ttl_seconds
            refreshing = refresh and now - self._refreshed_at >= self.min_refetch_seconds
            if stale or refreshing:
                if refreshing:
                    self._refreshed_at = now
                try:
                    self._keys = await self._fetch()
                    self._fetched_at = time.monotonic()
                except Exception as exc:  # any source of keys (HTTP, a subclass reading a database)
                    if self._keys is None:
                        raise ServiceUnavailable("the signing keys cannot be fetched right now") from exc
                    log.warning("JWKS refetch failed, keeping cached keys: %s", exc)
            assert self._keys is not None
            return self._keys


def _header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError) as exc:
        raise Unauthenticated("the bearer token is malformed") from exc
    if not isinstance(header, dict):
        raise Unauthenticated("the bearer token is malformed")
    return header


class RevocationList:
    """Access tokens revoked (``jti``) and sign-in sessions ended (``sid``) before their tokens expire, as
    identity publishes them (``GET /v1/revocations``); fetched at most every ``refresh_seconds``.

    Tokens are verified offline, so without this a logged-out session's tokens would work until they
    expire. When identity cannot be reached the last list is kept (and the failure logged): access tokens
    live minutes, and an identity outage must not stop every service."""

    def __init__(self, url: str, *, refresh_seconds: float = 10, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.refresh_seconds = refresh_seconds
        self._client = client
        self._jtis: frozenset[str] = frozenset()
        self._sids: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        client = self._client or httpx.AsyncClient(timeout=2)
        try:
            resp = await client.get(self.url)
            resp.raise_for_status()
            body = resp.json()
            self._jtis = frozenset(str(j) for j in body.get("jtis", []))
            self._sids = frozenset(str(s) for s in body.get("sids", []))
        finally:
            if self._client is None:
                await client.aclose()

    async def is_revoked(self, claims: dict[str, Any]) -> bool:
        # One request refreshes a stale list; the others meanwhile answer from the last one instead of
        # queueing behind it (only the very first fetch is waited for by everyone).
        stale = time.monotonic() - self._fetched_at >= self.refresh_seconds
        if stale and (not self._lock.locked() or self._fetched_at == float("-inf")):
            async with self._lock:
                if time.monotonic() - self._fetched_at >= self.refresh_seconds:
                    try:
                        await self._refresh()
                    except Exception as exc:  # keep the last list; see the class docstring
                        log.warning("revocation list not refreshed, keeping the last one: %s", exc)
                    self._fetched_at = time.monotonic()
        return str(claims.get("jti")) in self._jtis or (
            claims.get("sid") is not None and str(claims["sid"]) in self._sids
        )


class TokenVerifier:
    def __init__(
        self,
        jwks: JWKSCache,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        revocations: RevocationList | None = None,
        cache_seconds: float = 60.0,
        cache_size: int = 10_000,
    ) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.revocations = revocations
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._verified: dict[bytes, tuple[Principal, float]] = {}

    async def is_revoked(self, principal: Principal) -> bool:
        """Whether a token verified earlier (and cached) was revoked since."""
        if self.revocations is None:
            return False
        return await self.revocations.is_revoked({"jti": principal.token_id, "sid": principal.session_id})

    async def verify(self, token: str) -> Principal:
        """The caller ``token`` names; raises :class:`Unauthenticated` for a token not (or no longer) valid."""
        digest = hashlib.sha256(token.encode()).digest()
        now = time.time()
        hit = self._verified.get(digest)
        if hit is not None:
            principal, until = hit
            if until > now and not await self.is_revoked(principal):
                return principal
            self._verified.pop(digest, None)
        claims = await self._verify(token)
        principal = Principal.from_claims(claims)
        exp = claims.get("exp")
        until = min(float(exp) if isinstance(exp, int | float) else now, now + self.cache_seconds)
        if until > now:
            if len(self._verified) >= self.cache_size:
                self._evict(now)
            self._verified[digest] = (principal, until)
        return principal

    def _evict(self, now: float) -> None:
        """Drops the expired entries, and the oldest half if that is not enough (dicts keep insertion order)."""
        cache = self._verified
        for digest in [d for d, (_, until) in cache.items() if until <= now]:
            del cache[digest]
        if len(cache) >= self.cache_size:
            for digest in list(cache)[: max(1, len(cache) // 2)]:
                del cache[digest]

    async def _verify(self, token: str) -> dict[str, Any]:
        kid = _header(token).get("kid")
        keys = await self.jwks.get()
        if kid is not None and not _has_kid(keys, kid):
            keys = await self.jwks.get(refresh=True)
            if not _has_kid(keys, kid):
                raise Unauthenticated("the token is signed with an unknown key")
        try:
            decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                leeway=self.leeway_seconds,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
                sub={"essential": True},
            )
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise Unauthenticated(f"the bearer token is not valid: {exc.error}") from exc
        except ValueError as exc:
            raise Unauthenticated("the bearer token is not valid") from exc
        if self.revocations is not None and await self.revocations.is_revoked(decoded.claims):
            raise Unauthenticated("the token was revoked or its sign-in session has ended")
        return dict(decoded.claims)


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys.keys)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send an OAuth 2.0 bearer token in the Authorization header")
    return token.strip()


async def current_principal(request: Request) -> Principal:
    # Verified once per request, however many dependencies ask (scoped() and PrincipalDep alike).
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(bearer_token(request))
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def optional_principal(request: Request) -> Principal | None:
    """The caller when a bearer token is sent, ``None`` for an anonymous call (public reads that show more
    to some callers); a token that is sent but not valid is still refused."""
    if not request.headers.get("authorization"):
        return None
    return await current_principal(request)


MaybePrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def require(
    *, roles: tuple[str, ...] = (), scopes: tuple[str, ...] = (), kinds: tuple[PrincipalKind, ...] = ()
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits a principal holding all ``roles`` and ``scopes`` and of one of ``kinds``."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if kinds and principal.kind not in kinds:
            raise Forbidden(f"this operation is for {', '.join(kinds)} accounts")
        if not principal.has_roles(*roles):
            raise Forbidden("a required role is missing", required_roles=sorted(roles))
        if not principal.has_scopes(*scopes):
            raise Forbidden("a required scope is missing", required_scopes=sorted(scopes))
        return principal

    return dependency


# The OpenAPI security scheme of every platform operation: OAuth 2.0 through identity (behind the gateway),
# authorization code + PKCE for people, client credentials for systems. It only documents; the dependency
# below does the checking (auto_error off, so a missing token is our own 401 problem).
OAUTH2 = OAuth2(
    flows=OAuthFlows(
        authorizationCode=OAuthFlowAuthorizationCode(
            authorizationUrl="/api/identity/authorize", tokenUrl="/api/identity/token", scopes=CATALOGUE
        ),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl="/api/identity/token", scopes=CATALOGUE),
    ),
    scheme_name="oauth2",
    description="Tokens from identity; each operation names the one scope it needs.",
    auto_error=False,
)


async def _scoped_principal(
    security_scopes: SecurityScopes, request: Request, _token: Annotated[str | None, Depends(OAUTH2)]
) -> Principal:
    principal = await current_principal(request)
    for scope in security_scopes.scopes:
        if scope not in principal.scopes:
            raise InsufficientScope(scope)
    return principal


def scoped(scope: str) -> Any:
    """The dependency of an operation that needs ``scope`` (from :data:`gov_common.scopes.CATALOGUE`) for
    every kind of caller, people and systems alike: 401 without a valid token, 403 ``insufficient_scope``
    without the scope. It yields the :class:`Principal`; use it in the route's ``dependencies`` or as
    ``principal: Annotated[Principal, scoped("...")]``. Who may act on which record is still decided by
    :mod:`gov_common.policy`."""
    if scope not in CATALOGUE:
        raise ValueError(f"{scope} is not in the scope catalogue (gov_common.scopes)")
    return Security(_scoped_principal, scopes=[scope])
