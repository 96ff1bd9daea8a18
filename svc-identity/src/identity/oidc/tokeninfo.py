"""What a token says and its end: userinfo, introspection (RFC 7662) and revocation (RFC 7009)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gov_standards.china_time import utcnow as now
from identity import audit
from identity.deps import Identity
from identity.models import Account, OAuthClient, RefreshToken, RevokedAccessToken
from identity.oidc.errors import invalid_token
from identity.oidc.tokens import REVOCATION_LEEWAY_SECONDS, read_access_token, revoke_family, token_hash


def _is_jwt(raw: str) -> bool:
    # Access tokens are JWTs (three segments); refresh tokens are opaque.
    return raw.count(".") == 2


async def userinfo(identity: Identity, session: AsyncSession, bearer: str | None) -> dict[str, Any]:
    """The claims of the person a live ``openid`` access token names; raises ``invalid_token``."""
    claims = await read_access_token(identity, session, bearer) if bearer else None
    if claims is None or "openid" not in str(claims.get("scope", "")).split() or claims.get("kind") == "system":
        raise invalid_token("the access token is not valid for userinfo")
    account = await session.get(Account, uuid.UUID(str(claims["sub"])))
    if account is None or account.disabled:
        raise invalid_token("the account no longer exists")
    scopes = str(claims["scope"]).split()
    body: dict[str, Any] = {"sub": str(account.id), "acr": str(account.assurance_level), "kind": claims.get("kind")}
    if "profile" in scopes:
        body.update(name=account.real_name, preferred_username=account.username)
        if account.id_number_masked:
            body["id_number_masked"] = account.id_number_masked
    if "phone" in scopes and account.phone_enc is not None:
        body.update(
            phone_number="+86" + identity.pii.decrypt(account.phone_enc, kind="phone"), phone_number_verified=False
        )
    if claims.get("enterprise"):
        body["enterprise"] = claims["enterprise"]
    return body


async def introspect(identity: Identity, session: AsyncSession, client: OAuthClient, raw: str) -> dict[str, Any]:
    """RFC 7662: an access token to anyone authenticated, a refresh token only to the client holding it."""
    inactive: dict[str, Any] = {"active": False}
    if _is_jwt(raw):
        claims = await read_access_token(identity, session, raw)
        return {"active": True, "token_type": "Bearer", **claims} if claims is not None else inactive
    row = await session.get(RefreshToken, token_hash(raw))
    if row is None or row.client_id != client.client_id or row.used_at or row.revoked_at or row.expires_at <= now():
        return inactive
    return {
        "active": True,
        "token_type": "refresh_token",
        "client_id": row.client_id,
        "sub": str(row.account_id),
        "scope": row.scope,
        "exp": int(row.expires_at.timestamp()),
        "iss": identity.settings.token_issuer,
    }


async def revoke(identity: Identity, session: AsyncSession, client: OAuthClient, raw: str) -> None:
    """RFC 7009: revoke a token the client holds; an unknown or foreign token is silently ignored."""
    if _is_jwt(raw):
        claims = await read_access_token(identity, session, raw)
        if claims is None or claims.get("client_id") != client.client_id:
            return
        jti = str(claims["jti"])
        if await session.get(RevokedAccessToken, jti) is None:
            # Listed (GET /v1/revocations) until the token expires, plus the verifiers' leeway.
            expires = datetime.fromtimestamp(int(claims["exp"]) + REVOCATION_LEEWAY_SECONDS, UTC)
            session.add(RevokedAccessToken(jti=jti, expires_at=expires))
        target, kind = str(claims["sub"]), "access_token"
    else:
        row = await session.get(RefreshToken, token_hash(raw))
        if row is None or row.client_id != client.client_id:
            return
        await revoke_family(session, row.family_id)
        target, kind = str(row.account_id), "refresh_token"
    await audit.record(session, "token.revoked", client_id=client.client_id, target=target, kind=kind)
