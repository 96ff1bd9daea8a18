"""Single sign-on sessions: the browser's sign-in session (an opaque cookie, stored hashed), started by a
sign-in, reused by later authorization requests until it ends (logout, password change) or expires."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_standards.china_time import utcnow as now
from identity.deps import Identity
from identity.models import Account, LoginSession
from identity.oidc.tokens import ACCESS_TOKEN_TYP, new_opaque_token, read_jwt, token_hash


def is_open(sso: LoginSession | None) -> bool:
    """Whether the session is neither ended nor expired."""
    return sso is not None and sso.ended_at is None and sso.expires_at > now()


async def current(session: AsyncSession, raw_cookie: str | None) -> LoginSession | None:
    """The open sign-in session the browser's cookie names, if any."""
    if not raw_cookie:
        return None
    row = await session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == token_hash(raw_cookie)))
    return row if is_open(row) else None


async def start(
    session: AsyncSession, identity: Identity, *, account: Account, amr: list[str], user_agent: str | None
) -> tuple[LoginSession, str]:
    """A new sign-in session and the raw value of its cookie (only its hash is stored)."""
    raw = new_opaque_token()
    at = now()
    sso = LoginSession(
        id=uuid.uuid4(),
        token_hash=token_hash(raw),
        account_id=account.id,
        amr=amr,
        user_agent=(user_agent or "")[:300] or None,
        created_at=at,
        last_seen_at=at,
        expires_at=at + timedelta(seconds=identity.settings.session_ttl_seconds),
    )
    session.add(sso)
    await session.flush()
    return sso, raw


def logout_csrf(raw_cookie: str) -> str:
    # Bound to the browser's own session cookie, which another site can neither read nor send on a POST.
    return token_hash("logout:" + raw_cookie)


async def logout_hint(
    identity: Identity, session: AsyncSession, hint: str | None
) -> tuple[dict[str, Any], bool] | None:
    """The claims of an ID token this issuer signed (expired or not) and whether it is still fresh."""
    if not hint:
        return None
    claims = await read_jwt(identity, session, hint, verify_exp=False)
    if claims is None or claims.get("_typ") == ACCESS_TOKEN_TYP or not isinstance(claims.get("aud"), str):
        return None
    fresh = await read_jwt(identity, session, hint) is not None
    return claims, fresh


def ends_at_once(hint: tuple[dict[str, Any], bool] | None, sso: LoginSession) -> bool:
    """A fresh ID token of this very session (its sid and subject) ends it without asking the person."""
    claims, fresh = hint if hint else ({}, False)
    return fresh and claims.get("sid") == str(sso.id) and claims.get("sub") == str(sso.account_id)
