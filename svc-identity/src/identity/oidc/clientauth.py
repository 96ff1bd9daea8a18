"""Client authentication at the token, introspection and revocation endpoints:
``client_secret_basic``, ``private_key_jwt`` (RFC 7523) and ``none`` for public clients (PKCE only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import OAuthClient, UsedAssertion
from identity.oidc.errors import OAuthError, invalid_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ["ES256", "RS256", "PS256", "EdDSA"]
# Common client libraries (authlib among them) default to one hour; longer is refused.
MAX_ASSERTION_LIFETIME = timedelta(minutes=61)


def secret_hash(secret: str) -> str:
    # Secrets are 256-bit random values: a plain digest resists guessing; no slow hash is needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid_client("malformed Basic credentials", basic=True) from None
    client_id, sep, secret = raw.partition(":")
    if not sep:
        raise invalid_client("malformed Basic credentials", basic=True)
    return unquote(client_id), unquote(secret)


def _unverified_claims(assertion: str) -> dict[str, Any]:
    try:
        segment = assertion.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        raise invalid_client("the client assertion is malformed") from None
    if not isinstance(data, dict):
        raise invalid_client("the client assertion is malformed")
    return data


async def authenticate(
    session: AsyncSession,
    *,
    authorization: str | None,
    form: dict[str, str],
    audiences: set[str],
    allow_public: bool,
) -> OAuthClient:
    """The authenticated client, or an ``invalid_client`` error. ``audiences``: what a client assertion
    may name as ``aud`` (the issuer and the endpoint URL)."""
    basic = _basic(authorization) if authorization else None
    if basic is not None:
        client_id, secret = basic
        client = await session.get(OAuthClient, client_id)
        if (
            client is None
            or client.disabled
            or client.auth_method != "client_secret_basic"
            or not client.secret_hash
            or not hmac.compare_digest(client.secret_hash, secret_hash(secret))
        ):
            raise invalid_client("client authentication failed", basic=True)
        return _same_id(client, form)

    if form.get("client_assertion_type") == ASSERTION_TYPE:
        return await _assertion(session, form, audiences)
    if form.get("client_assertion_type") or form.get("client_assertion"):
        raise invalid_client("unsupported client assertion type")

    public_id = form.get("client_id")
    if not public_id:
        raise invalid_client("authenticate the client (client_secret_basic or private_key_jwt)", basic=True)
    client = await session.get(OAuthClient, public_id)
    if client is None or client.disabled or client.auth_method != "none" or not allow_public:
        raise invalid_client("client authentication failed", basic=True)
    return client


def _same_id(client: OAuthClient, form: dict[str, str]) -> OAuthClient:
    if form.get("client_id") and form["client_id"] != client.client_id:
        raise invalid_client("client_id does not match the authenticated client")
    return client


async def _assertion(session: AsyncSession, form: dict[str, str], audiences: set[str]) -> OAuthClient:
    assertion = form.get("client_assertion", "")
    unverified = _unverified_claims(assertion)
    client_id = str(unverified.get("sub") or "")
    client = await session.get(OAuthClient, client_id) if client_id else None
    if client is None or client.disabled or client.auth_method != "private_key_jwt" or not client.jwks:
        raise invalid_client("client authentication failed")
    try:
        keys = KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]
        decoded = jwt.decode(assertion, keys, algorithms=ASSERTION_ALGS)
        jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": client_id},
            sub={"essential": True, "value": client_id},
            aud={"essential": True, "values": sorted(audiences)},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError):
        raise invalid_client("the client assertion is not valid") from None
    claims = decoded.claims
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    if expires - datetime.now(UTC) > MAX_ASSERTION_LIFETIME:
        raise invalid_client("the client assertion lives too long")
    jti = str(claims["jti"])[:200]
    if await session.get(UsedAssertion, (client_id, jti)) is not None:
        raise invalid_client("the client assertion was already used")
    session.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=expires))
    await session.flush()
    return _same_id(client, form)


__all__ = ["ASSERTION_TYPE", "OAuthError", "authenticate", "secret_hash"]
