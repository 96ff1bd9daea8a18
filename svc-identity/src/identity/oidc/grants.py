"""The token endpoint's grants, one function each: ``authorization_code`` (with PKCE S256),
``refresh_token`` (rotating, a reused token revokes its family) and ``client_credentials``. The client is
authenticated once, before (``clientauth.authenticate``); each grant answers the token response body or
raises an :class:`OAuthError`."""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.scopes import OIDC
from gov_standards.china_time import utcnow as now
from identity import audit
from identity.deps import Identity
from identity.models import Account, AuthorizationCode, LoginSession, OAuthClient, RefreshToken
from identity.oidc import sessions
from identity.oidc.errors import OAuthError, invalid_grant, invalid_request, invalid_scope, unauthorized_client
from identity.oidc.tokens import (
    access_token,
    acting_for,
    id_token,
    new_refresh_token,
    person_claims,
    revoke_family,
    system_claims,
    token_hash,
)
from identity.policy import excess_scopes, parse_scope

PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# Grants a public client (no secret, PKCE only) may use.
PUBLIC_GRANTS = frozenset({"authorization_code", "refresh_token"})

Grant = Callable[[AsyncSession, Identity, dict[str, str], OAuthClient], Awaitable[dict[str, Any]]]


def pkce_ok(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: the verifier is 43-128 unreserved characters whose SHA-256 is the challenge."""
    if not PKCE_VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(create_s256_code_challenge(verifier), challenge)


async def issue(
    session: AsyncSession, identity: Identity, *, form: dict[str, str], client: OAuthClient
) -> dict[str, Any]:
    """The token response for the form's ``grant_type``, for an authenticated ``client``."""
    grant = GRANTS.get(form.get("grant_type", ""))
    if grant is None:
        raise OAuthError(
            "unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials"
        )
    return await grant(session, identity, form, client)


async def authorization_code(
    session: AsyncSession, identity: Identity, form: dict[str, str], client: OAuthClient
) -> dict[str, Any]:
    if "authorization_code" not in client.grant_types:
        raise unauthorized_client("this client may not use the authorization code grant")
    code = form.get("code")
    if not code:
        raise invalid_request("code is required")
    row = await session.get(AuthorizationCode, token_hash(code), with_for_update=True)
    if row is None or row.client_id != client.client_id:
        raise invalid_grant("the authorization code is not valid")
    if row.used_at is not None:
        await revoke_family(session, row.family_id)  # a replayed code: whatever it produced is suspect
        await audit.record(session, "token.code_replayed", target=str(row.account_id), client_id=client.client_id)
        raise invalid_grant("the authorization code was already used")
    if row.expires_at <= now():
        raise invalid_grant("the authorization code expired")
    if form.get("redirect_uri") != row.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request")
    if not pkce_ok(form.get("code_verifier", ""), row.code_challenge):
        raise invalid_grant("the PKCE code_verifier does not match")
    row.used_at = now()
    account, sso = await _signed_in_person(session, row.account_id, row.session_id)
    return await _person_tokens(
        identity,
        session,
        client=client,
        account=account,
        sso=sso,
        scope=row.scope,
        enterprise=row.enterprise,
        nonce=row.nonce,
        auth_time=row.auth_time,
        family_id=row.family_id,
    )


async def refresh_token(
    session: AsyncSession, identity: Identity, form: dict[str, str], client: OAuthClient
) -> dict[str, Any]:
    if "refresh_token" not in client.grant_types:
        raise unauthorized_client("this client may not use refresh tokens")
    presented = form.get("refresh_token")
    if not presented:
        raise invalid_request("refresh_token is required")
    row = await session.get(RefreshToken, token_hash(presented), with_for_update=True)
    if row is None or row.client_id != client.client_id:
        raise invalid_grant("the refresh token is not valid")
    if row.used_at is not None or row.revoked_at is not None:
        if row.used_at is not None:  # reuse of a rotated token: the family is compromised
            await revoke_family(session, row.family_id)
            await audit.record(
                session,
                "token.refresh_reused",
                target=str(row.account_id),
                client_id=client.client_id,
                family=str(row.family_id),
            )
        raise invalid_grant("the refresh token was already used or revoked")
    if row.expires_at <= now():
        raise invalid_grant("the refresh token expired")
    # A refresh lives no longer than the sign-in session it was issued under (ended or expired).
    account, sso = await _signed_in_person(session, row.account_id, row.session_id)
    # What the client is registered for now: a scope taken from it is not renewed.
    scope = " ".join(s for s in row.scope.split() if s in OIDC or s in client.scopes)
    if form.get("scope"):
        narrower = parse_scope(form["scope"])
        if not set(narrower) <= set(scope.split()):
            raise invalid_scope("a refresh may only narrow the scope")
        scope = " ".join(narrower)
    if row.enterprise:
        acting = await acting_for(session, account, row.enterprise)
        if acting is None or excess_scopes(scope.split(), acting.allowed_scopes):
            await revoke_family(session, row.family_id)
            raise invalid_grant("the enterprise no longer authorises these scopes")
    row.used_at = now()
    return await _person_tokens(
        identity,
        session,
        client=client,
        account=account,
        sso=sso,
        scope=scope,
        enterprise=row.enterprise,
        nonce=None,
        auth_time=row.auth_time,
        family_id=row.family_id,
    )


async def client_credentials(
    session: AsyncSession, identity: Identity, form: dict[str, str], client: OAuthClient
) -> dict[str, Any]:
    if "client_credentials" not in client.grant_types or client.auth_method == "none":
        raise unauthorized_client("this client may not use the client credentials grant")
    requested = parse_scope(form.get("scope")) or list(client.scopes)
    if any(s not in client.scopes for s in requested):
        raise invalid_scope("a requested scope is not granted to this client")
    scope = " ".join(requested)
    access, ttl = await access_token(identity, session, system_claims(client, scope=scope))
    await audit.record(
        session, "token.client_credentials", actor=client.client_id, client_id=client.client_id, scope=scope
    )
    return {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": scope}


GRANTS: dict[str, Grant] = {
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
}


async def _signed_in_person(
    session: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID | None
) -> tuple[Account, LoginSession]:
    """The enabled account and the open sign-in session a code or refresh token was issued under."""
    account = await session.get(Account, account_id)
    sso = await session.get(LoginSession, session_id) if session_id else None
    if account is None or account.disabled or sso is None or not sessions.is_open(sso):
        raise invalid_grant("the sign-in session has ended")
    return account, sso


async def _person_tokens(
    identity: Identity,
    session: AsyncSession,
    *,
    client: OAuthClient,
    account: Account,
    sso: LoginSession,
    scope: str,
    enterprise: str | None,
    nonce: str | None,
    auth_time: datetime,
    family_id: uuid.UUID,
) -> dict[str, Any]:
    claims = person_claims(
        account, scope=scope, client_id=client.client_id, enterprise=enterprise, session_id=sso.id, auth_time=auth_time
    )
    access, ttl = await access_token(identity, session, claims, not_after=sso.expires_at)
    body: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": scope}
    if "openid" in scope.split():
        body["id_token"] = await id_token(
            identity,
            session,
            account=account,
            client_id=client.client_id,
            nonce=nonce,
            auth_time=auth_time,
            access=access,
            session_id=sso.id,
            amr=list(sso.amr or []),
            enterprise=enterprise,
        )
    if "refresh_token" in client.grant_types:
        body["refresh_token"] = await new_refresh_token(
            identity,
            session,
            family_id=family_id,
            client_id=client.client_id,
            account_id=account.id,
            session_id=sso.id,
            scope=scope,
            enterprise=enterprise,
            auth_time=auth_time,
            not_after=sso.expires_at,
        )
    return body
