"""Issuing and reading tokens: access tokens (JWT, ``at+jwt``), ID tokens, rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import RevocationList
from gov_common.db import Database
from gov_common.scopes import ENTERPRISE
from gov_standards.china_time import utcnow as now
from identity.deps import Identity
from identity.models import (
    Account,
    AgentGrant,
    Enterprise,
    LoginSession,
    OAuthClient,
    RefreshToken,
    RevokedAccessToken,
)
from identity.settings import Settings

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret
# Verifiers accept tokens this long past their expiry (gov_common's TokenVerifier leeway), and a little more.
REVOCATION_LEEWAY_SECONDS = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def left_half_hash(value: str, alg: str = "ES256") -> str:
    """``at_hash``: the left half of the token's digest under the signing algorithm's hash (OIDC Core 3.1.3.6)."""
    digest = create_half_hash(value, alg)
    assert digest is not None
    return digest.decode()


@dataclass(frozen=True)
class Acting:
    """For whom a person acts: themselves, or an enterprise (as its representative or an agent)."""

    enterprise: str | None = None
    allowed_scopes: frozenset[str] = frozenset()


async def acting_for(session: AsyncSession, account: Account, credit_code: str | None) -> Acting | None:
    """What ``account`` may do for the enterprise ``credit_code``; None when it may not act for it."""
    if credit_code is None:
        return Acting()
    if account.kind != "citizen":
        return None  # staff act for their department, never for an enterprise
    enterprise = await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == credit_code))
    if enterprise is None:
        return None
    if enterprise.representative_id == account.id:
        return Acting(enterprise=credit_code, allowed_scopes=ENTERPRISE)
    grants = (
        await session.scalars(
            sa.select(AgentGrant).where(
                AgentGrant.enterprise_id == enterprise.id,
                AgentGrant.agent_id == account.id,
                AgentGrant.revoked_at.is_(None),
            )
        )
    ).all()
    scopes = {s for g in grants if g.expires_at > now() for s in g.scopes}
    if not scopes:
        return None
    return Acting(enterprise=credit_code, allowed_scopes=frozenset(scopes))


async def enterprises_acting(session: AsyncSession, account: Account) -> list[tuple[str, str]]:
    """(credit code, name) of every enterprise ``account`` may act for now: those it represents and those
    whose live agent grant names it; the choice the sign-in offers (the chosen one is checked again by
    :func:`acting_for`)."""
    if account.kind != "citizen":
        return []
    live_grant = sa.exists().where(
        AgentGrant.enterprise_id == Enterprise.id,
        AgentGrant.agent_id == account.id,
        AgentGrant.revoked_at.is_(None),
        AgentGrant.expires_at > now(),
    )
    rows = await session.execute(
        sa.select(Enterprise.credit_code, Enterprise.name)
        .where(sa.or_(Enterprise.representative_id == account.id, live_grant))
        .order_by(Enterprise.name)
    )
    return [(code, name) for code, name in rows.all()]


def person_claims(
    account: Account,
    *,
    scope: str,
    client_id: str,
    enterprise: str | None,
    session_id: uuid.UUID | None = None,
    auth_time: datetime | None = None,
) -> dict[str, Any]:
    """The claims of a person's access token; ``session_id`` (``sid``) lets ending the sign-in session
    revoke it (services drop tokens whose sid identity lists as ended); ``auth_time`` says when the person
    last proved themself (a recent sign-in lets staff confirm a sensitive change with TOTP)."""
    kind = "staff" if account.kind == "staff" else ("enterprise" if enterprise else "citizen")
    claims: dict[str, Any] = {
        "sub": str(account.id),
        "kind": kind,
        "roles": sorted(account.roles or []) if account.kind == "staff" else [],
        "scope": scope,
        "client_id": client_id,
        "acr": str(account.assurance_level),
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    if account.region_code:
        claims["region"] = account.region_code
    if account.department_code:
        claims["department"] = account.department_code
    if enterprise:
        claims["enterprise"] = enterprise
    return claims


def system_claims(client: OAuthClient, *, scope: str) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": client.client_id,
        "kind": "system",
        "roles": [],
        "scope": scope,
        "client_id": client.client_id,
        "acr": "1",
    }
    if client.region_code:
        claims["region"] = client.region_code
    if client.department_code:
        claims["department"] = client.department_code
    return claims


async def access_token(
    identity: Identity, session: AsyncSession, claims: dict[str, Any], *, not_after: datetime | None = None
) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds; ``not_after`` (the sign-in session's end) caps it."""
    issued = int(time.time())
    ttl = identity.settings.access_token_ttl_seconds
    if not_after is not None:
        ttl = max(1, min(ttl, int(not_after.timestamp()) - issued))
    payload = {
        "iss": identity.settings.token_issuer,
        "aud": identity.settings.token_audience,
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return await identity.keys.sign(session, payload, typ=ACCESS_TOKEN_TYP), ttl


async def id_token(
    identity: Identity,
    session: AsyncSession,
    *,
    account: Account,
    client_id: str,
    nonce: str | None,
    auth_time: datetime,
    access: str,
    session_id: uuid.UUID,
    amr: list[str],
    enterprise: str | None = None,
) -> str:
    """The ID token; ``enterprise``: the credit code the person acts for in this sign-in (so that the client
    shows it and offers to switch), as in the access token."""
    issued = int(time.time())
    payload: dict[str, Any] = {
        "iss": identity.settings.token_issuer,
        "sub": str(account.id),
        "aud": client_id,
        "azp": client_id,
        "iat": issued,
        "exp": issued + identity.settings.id_token_ttl_seconds,
        "auth_time": int(auth_time.timestamp()),
        "acr": str(account.assurance_level),
        "amr": amr,
        "at_hash": left_half_hash(access, identity.keys.alg),
        "sid": str(session_id),
    }
    if nonce:
        payload["nonce"] = nonce
    if enterprise:
        payload["enterprise"] = enterprise
    return await identity.keys.sign(session, payload, typ="JWT")


async def new_refresh_token(
    identity: Identity,
    session: AsyncSession,
    *,
    family_id: uuid.UUID,
    client_id: str,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    scope: str,
    enterprise: str | None,
    auth_time: datetime,
    not_after: datetime,
) -> str:
    """A new refresh token of the family; it never outlives ``not_after`` (its sign-in session's end)."""
    token = new_opaque_token()
    session.add(
        RefreshToken(
            token_hash=token_hash(token),
            family_id=family_id,
            client_id=client_id,
            account_id=account_id,
            session_id=session_id,
            scope=scope,
            enterprise=enterprise,
            auth_time=auth_time,
            created_at=now(),
            expires_at=min(now() + timedelta(seconds=identity.settings.refresh_token_ttl_seconds), not_after),
        )
    )
    await session.flush()
    return token


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


async def read_jwt(
    identity: Identity, session: AsyncSession, token: str, *, verify_exp: bool = True
) -> dict[str, Any] | None:
    """Claims of a token this issuer signed and still publishes the key of; None otherwise."""
    try:
        keys = KeySet.import_key_set(await identity.keys.jwks(session))  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=[identity.keys.alg, "ES256", "RS256"])
        checks: dict[str, Any] = {"iss": {"essential": True, "value": identity.settings.token_issuer}}
        if verify_exp:
            checks["exp"] = {"essential": True}
        jwt.JWTClaimsRegistry(leeway=30, **checks).validate(decoded.claims)
    except (JoseError, ValueError):
        return None
    claims = dict(decoded.claims)
    claims["_typ"] = decoded.header.get("typ")
    return claims


async def read_access_token(identity: Identity, session: AsyncSession, token: str) -> dict[str, Any] | None:
    """Claims of a live access token for the platform audience (not revoked); None otherwise."""
    claims = await read_jwt(identity, session, token)
    if claims is None or claims.pop("_typ") != ACCESS_TOKEN_TYP:
        return None
    aud = claims.get("aud")
    if identity.settings.token_audience not in (aud if isinstance(aud, list) else [aud]):
        return None
    if await session.get(RevokedAccessToken, str(claims.get("jti"))) is not None:
        return None
    if claims.get("sid") and not await session_live(session, str(claims["sid"])):
        return None
    return claims


async def session_live(session: AsyncSession, sid: str) -> bool:
    """Whether the sign-in session ``sid`` is neither ended nor expired."""
    try:
        row = await session.get(LoginSession, uuid.UUID(sid))
    except ValueError:
        return False
    return row is not None and row.ended_at is None and row.expires_at > now()


def revocation_window(settings: Settings) -> int:
    """How long an ended session stays listed: the longest its tokens may still be accepted."""
    return settings.access_token_ttl_seconds + REVOCATION_LEEWAY_SECONDS


async def revocations(session: AsyncSession, *, window_seconds: int) -> tuple[list[str], list[str]]:
    """The jtis of access tokens revoked and the sids of sign-in sessions ended whose tokens may still be
    live (revoked or ended within ``window_seconds``, the access-token lifetime)."""
    at = now()
    jtis = (
        await session.scalars(
            sa.select(RevokedAccessToken.jti).where(RevokedAccessToken.expires_at > at).order_by(RevokedAccessToken.jti)
        )
    ).all()
    sids = (
        await session.scalars(
            sa.select(LoginSession.id)
            .where(LoginSession.ended_at > at - timedelta(seconds=window_seconds))
            .order_by(LoginSession.id)
        )
    ).all()
    return list(jtis), [str(s) for s in sids]


class LocalRevocations(RevocationList):
    """The revocation list of identity's own APIs: read from its tables, not over HTTP from itself."""

    def __init__(self, db: Database, *, window_seconds: int, refresh_seconds: float = 2) -> None:
        super().__init__("local:revocations", refresh_seconds=refresh_seconds)
        self.db = db
        self.window_seconds = window_seconds

    async def _refresh(self) -> None:
        async with self.db.transaction() as session:
            jtis, sids = await revocations(session, window_seconds=self.window_seconds)
        self._jtis, self._sids = frozenset(jtis), frozenset(sids)
