"""The OpenID Connect provider: discovery, JWKS, authorization (code + PKCE S256) with an HTML sign-in,
second factor and consent, token (authorization_code, refresh_token, client_credentials), userinfo,
introspection (RFC 7662), revocation (RFC 7009) and logout.

Every URL in discovery is the issuer (as seen through the gateway) plus the path served here."""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession as SqlSession

from gov_common.deps import SessionDep
from gov_common.scopes import CATALOGUE, OIDC
from gov_standards.identifiers import InvalidIdentifier, parse_credit_code
from identity import audit
from identity.accounts.service import end_sessions, find_for_login
from identity.deps import AddressDep, Identity, IdentityDep
from identity.models import (
    Account,
    AuthorizationCode,
    AuthorizationRequest,
    Consent,
    LoginSession,
    OAuthClient,
    RefreshToken,
    RevokedAccessToken,
)
from identity.oidc import pages, throttle
from identity.oidc.clientauth import ASSERTION_ALGS, authenticate
from identity.oidc.errors import (
    AUTHORIZE_ANSWERS,
    OAUTH_ERRORS,
    REDIRECT,
    OAuthError,
    invalid_grant,
    invalid_request,
    invalid_scope,
    invalid_token,
    unauthorized_client,
)
from identity.oidc.tokens import (
    ACCESS_TOKEN_TYP,
    REVOCATION_LEEWAY_SECONDS,
    Acting,
    access_token,
    acting_for,
    aware,
    id_token,
    new_opaque_token,
    new_refresh_token,
    now,
    person_claims,
    read_access_token,
    read_jwt,
    revocation_window,
    revocations,
    revoke_family,
    system_claims,
    token_hash,
)
from identity.org.service import totp_step
from identity.passwords import verify_password
from identity.policy import excess_scopes, parse_scope, person_scopes

router = APIRouter(tags=["openid-connect"])

BROWSER_COOKIE = "gov_authz"
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
TOTP_CONTEXT = "totp"


class Revocations(BaseModel):
    jtis: list[str] = Field(description="ids of access tokens revoked before they expire")
    sids: list[str] = Field(description="sign-in sessions ended (logout, password change...): refuse their tokens")
    until: int = Field(description="the list holds every revocation made until this time (Unix seconds)")


def url(identity: Identity, path: str) -> str:
    return identity.settings.token_issuer.rstrip("/") + path


# ---------------------------------------------------------------- discovery and keys


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata")
async def discovery(identity: IdentityDep) -> JSONResponse:
    s = identity.settings
    auth_methods = ["client_secret_basic", "private_key_jwt"]
    body = {
        "issuer": s.token_issuer,
        "authorization_endpoint": url(identity, "/authorize"),
        "token_endpoint": url(identity, "/token"),
        "userinfo_endpoint": url(identity, "/userinfo"),
        "jwks_uri": url(identity, "/.well-known/jwks.json"),
        "introspection_endpoint": url(identity, "/introspect"),
        "revocation_endpoint": url(identity, "/revoke"),
        "end_session_endpoint": url(identity, "/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [identity.keys.alg],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": sorted(OIDC | CATALOGUE.keys()),
        "claims_supported": ["sub", "name", "preferred_username", "phone_number", "acr", "amr", "auth_time", "sid"],
        "acr_values_supported": ["1", "2", "3"],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
    }
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/jwks.json", summary="Public signing keys (current and those still in overlap)")
async def jwks(session: SessionDep, identity: IdentityDep) -> JSONResponse:
    return JSONResponse(await identity.keys.jwks(session), headers={"Cache-Control": "public, max-age=60"})


# ---------------------------------------------------------------- authorization


def _redirect_with(redirect_uri: str, params: dict[str, str | None], identity: Identity) -> RedirectResponse:
    query = {k: v for k, v in params.items() if v is not None}
    query["iss"] = identity.settings.token_issuer
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(query), status_code=303)


def _error_redirect(params: dict[str, Any], error: str, description: str, identity: Identity) -> RedirectResponse:
    return _redirect_with(
        params["redirect_uri"],
        {"error": error, "error_description": description, "state": params.get("state")},
        identity,
    )


def _browser(request: Request) -> tuple[str, bool]:
    value = request.cookies.get(BROWSER_COOKIE)
    if value and len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(24), True


def _set_cookie(response: Response, identity: Identity, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, secure=identity.settings.cookie_secure, samesite="lax", path="/"
    )


async def _sso_session(request: Request, session: SqlSession, identity: Identity) -> LoginSession | None:
    raw = request.cookies.get(identity.settings.session_cookie_name)
    if not raw:
        return None
    row = await session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == token_hash(raw)))
    if row is None or row.ended_at is not None or aware(row.expires_at) <= now():
        return None
    return row


def _validate_authorization(params: dict[str, str], client: OAuthClient) -> tuple[str, str, str] | None:
    """(error, description) or None, for a request whose client and redirect URI are already known good."""
    if params.get("response_type") != "code":
        return ("unsupported_response_type", "only response_type=code is supported", "")
    if "authorization_code" not in client.grant_types:
        return ("unauthorized_client", "this client may not use the authorization code grant", "")
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        return ("invalid_request", "PKCE is required, with code_challenge_method=S256", "")
    challenge = params["code_challenge"]
    if not 43 <= len(challenge) <= 128:
        return ("invalid_request", "code_challenge has the wrong length", "")
    requested = parse_scope(params.get("scope"))
    allowed = set(client.scopes) | OIDC
    if not requested or any(s not in allowed for s in requested):
        return ("invalid_scope", "a requested scope is not allowed for this client", "")
    if params.get("enterprise"):
        try:
            parse_credit_code(params["enterprise"])
        except InvalidIdentifier:
            return ("invalid_request", "enterprise is not a valid unified social credit code", "")
    return None


@router.get(
    "/authorize",
    summary="Authorization endpoint (code flow with PKCE S256)",
    response_model=None,
    response_class=HTMLResponse,
    responses=AUTHORIZE_ANSWERS,
)
async def authorize(request: Request, session: SessionDep, identity: IdentityDep) -> Response:
    params = {k: v for k, v in request.query_params.items() if len(v) <= 2000}
    client = await session.get(OAuthClient, params.get("client_id", "")) if params.get("client_id") else None
    if client is None or client.disabled:
        return pages.error_page("未知的应用 (unknown client)")
    if params.get("redirect_uri") not in client.redirect_uris:
        return pages.error_page("回调地址未登记 (the redirect URI is not registered for this client)")
    problem = _validate_authorization(params, client)
    if problem:
        return _error_redirect(params, problem[0], problem[1], identity)

    browser, fresh = _browser(request)
    req = AuthorizationRequest(
        id=secrets.token_urlsafe(24),
        browser_hash=token_hash(browser),
        params=params,
        stage="login",
        expires_at=now() + timedelta(seconds=identity.settings.login_request_ttl_seconds),
    )
    session.add(req)
    sso = None if params.get("prompt") == "login" else await _sso_session(request, session, identity)
    if sso is not None:
        account = await session.get(Account, sso.account_id)
        if account is not None and not account.disabled:
            req.account_id, req.session_id = account.id, sso.id
            sso.last_seen_at = now()
            response = await _continue(req, client, account, sso, session, identity)
            if fresh:
                _set_cookie(response, identity, BROWSER_COOKIE, browser, identity.settings.login_request_ttl_seconds)
            return response
    if params.get("prompt") == "none":
        return _error_redirect(params, "login_required", "the user is not signed in", identity)
    response = pages.login_page(action=url(identity, "/login"), request_id=req.id, client_name=client.name)
    if fresh:
        _set_cookie(response, identity, BROWSER_COOKIE, browser, identity.settings.login_request_ttl_seconds)
    return response


async def _pending(request: Request, session: SqlSession, request_id: str, stage: str) -> AuthorizationRequest | None:
    req = await session.get(AuthorizationRequest, request_id) if request_id else None
    browser = request.cookies.get(BROWSER_COOKIE, "")
    if (
        req is None
        or req.stage != stage
        or aware(req.expires_at) <= now()
        or not hmac.compare_digest(req.browser_hash, token_hash(browser))
    ):
        return None
    return req


def _form_value(form: Any, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@router.post("/login", summary="Sign-in form submission", response_model=None, include_in_schema=False)
async def login(request: Request, session: SessionDep, identity: IdentityDep, address: AddressDep) -> Response:
    form = await request.form()
    req = await _pending(request, session, _form_value(form, "request_id"), "login")
    if req is None:
        return pages.error_page("登录请求已失效，请重新开始 (the sign-in request expired; start again)")
    client = await session.get(OAuthClient, req.params["client_id"])
    assert client is not None
    action, at = url(identity, "/login"), now()
    username, password = _form_value(form, "username", 64), _form_value(form, "password", 200)
    account = await find_for_login(session, identity.pii, username) if username else None
    keys = [throttle.address_key(address)] + ([throttle.account_key(account.id)] if account else [])
    # A second factor locked by wrong codes locks the password step too.
    held = keys + ([throttle.totp_key(account.id)] if account else [])
    lock = await throttle.current_lock(session, held, now=at)
    if lock is not None:
        await audit.record(
            session,
            "login.refused_locked",
            target=str(account.id) if account else None,
            client_id=client.client_id,
            source_address=address,
        )
        retry = lock.retry_after(at)
        page = pages.login_page(
            action=action,
            request_id=req.id,
            client_name=client.name,
            error=f"登录失败次数过多，请 {retry} 秒后再试 (too many failures; try again in {retry} s)",
            status=429,
        )
        page.headers["Retry-After"] = str(retry)
        return page
    if account is None or account.disabled or not verify_password(account.password_hash, password):
        s = identity.settings
        locks = [await throttle.fail(session, keys[0], threshold=s.lockout_address_threshold, settings=s, now=at)]
        if account is not None:
            locks.append(
                await throttle.fail(session, keys[1], threshold=s.lockout_account_threshold, settings=s, now=at)
            )
        target = str(account.id) if account else None
        await audit.record(
            session,
            "login.failed",
            target=target,
            client_id=client.client_id,
            source_address=address,
            reason="password",
        )
        if any(locks):
            await audit.record(
                session, "login.locked", target=target, client_id=client.client_id, source_address=address
            )
        return pages.login_page(
            action=action,
            request_id=req.id,
            client_name=client.name,
            error="用户名或密码错误 (wrong user name or password)",
            status=401,
        )
    await throttle.succeed(session, keys[1])
    req.account_id = account.id
    if account.kind == "staff":
        if account.totp_secret_enc is None:
            await audit.record(
                session, "login.mfa_missing", target=str(account.id), client_id=client.client_id, source_address=address
            )
            return pages.error_page(
                "工作人员必须启用动态口令 (staff must enrol a second factor: ask your staff admin)", 403
            )
        req.stage = "totp"
        return pages.totp_page(action=url(identity, "/login/totp"), request_id=req.id)
    return await _signed_in(request, req, client, account, ["pwd"], session, identity, address)


@router.post("/login/totp", summary="Second-factor form submission", response_model=None, include_in_schema=False)
async def login_totp(request: Request, session: SessionDep, identity: IdentityDep, address: AddressDep) -> Response:
    form = await request.form()
    req = await _pending(request, session, _form_value(form, "request_id"), "totp")
    if req is None or req.account_id is None:
        return pages.error_page("登录请求已失效，请重新开始 (the sign-in request expired; start again)")
    account = await session.get(Account, req.account_id)
    client = await session.get(OAuthClient, req.params["client_id"])
    assert account is not None and client is not None and account.totp_secret_enc is not None
    at, key = now(), throttle.totp_key(account.id)
    action = url(identity, "/login/totp")
    if await throttle.current_lock(session, [key, throttle.account_key(account.id)], now=at):
        return pages.totp_page(
            action=action, request_id=req.id, error="登录失败次数过多，请稍后再试 (locked; try later)", status=429
        )
    secret = identity.pii.decrypt(account.totp_secret_enc, kind=TOTP_CONTEXT)
    step = totp_step(secret, _form_value(form, "code", 10), account.totp_last_step)
    if step is None:
        s = identity.settings
        lock = await throttle.fail(session, key, threshold=s.lockout_account_threshold, settings=s, now=at)
        await audit.record(
            session,
            "login.failed",
            target=str(account.id),
            client_id=client.client_id,
            source_address=address,
            reason="totp",
        )
        if lock:
            await audit.record(
                session, "login.locked", target=str(account.id), client_id=client.client_id, source_address=address
            )
        return pages.totp_page(action=action, request_id=req.id, error="动态口令错误 (wrong code)", status=401)
    account.totp_last_step = step
    await throttle.succeed(session, key)
    return await _signed_in(request, req, client, account, ["pwd", "otp"], session, identity, address)


async def _signed_in(
    request: Request,
    req: AuthorizationRequest,
    client: OAuthClient,
    account: Account,
    amr: list[str],
    session: SqlSession,
    identity: Identity,
    address: str | None,
) -> Response:
    raw = new_opaque_token()
    sso = LoginSession(
        id=uuid.uuid4(),
        token_hash=token_hash(raw),
        account_id=account.id,
        amr=amr,
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        created_at=now(),
        last_seen_at=now(),
        expires_at=now() + timedelta(seconds=identity.settings.session_ttl_seconds),
    )
    session.add(sso)
    await session.flush()
    req.session_id = sso.id
    await audit.record(
        session,
        "login.succeeded",
        actor=str(account.id),
        target=str(account.id),
        client_id=client.client_id,
        source_address=address,
        amr=amr,
    )
    response = await _continue(req, client, account, sso, session, identity)
    _set_cookie(response, identity, identity.settings.session_cookie_name, raw, identity.settings.session_ttl_seconds)
    return response


def _admits(client: OAuthClient, account: Account) -> bool:
    """Who may sign in through a client: anyone where it serves citizens (another kind gets an identity and
    no platform scope there), only the kinds it serves otherwise (a staff tool admits staff only)."""
    return account.kind in client.account_kinds or "citizen" in client.account_kinds


def _granted(requested: list[str], client: OAuthClient, account: Account, acting: Acting) -> list[str]:
    return person_scopes(
        requested,
        client_scopes=client.scopes,
        client_kinds=client.account_kinds,
        account_kind=account.kind,
        acting_scopes=acting.allowed_scopes if acting.enterprise else None,
    )


async def _record_consent(
    session: SqlSession, account: Account, client: OAuthClient, scopes: list[str], *, basis: str
) -> None:
    """Remember the scopes the person let the client have, and why (``consent`` or ``first_party``)."""
    row = await session.get(Consent, (account.id, client.client_id))
    if row is not None and set(scopes) <= set(row.scopes) and row.basis == basis:
        return
    if row is None:
        row = Consent(account_id=account.id, client_id=client.client_id, scopes=[], basis=basis)
        session.add(row)
    row.scopes = sorted(set(row.scopes) | set(scopes))
    row.basis, row.granted_at = basis, now()
    await audit.record(
        session, "consent.granted", actor=str(account.id), client_id=client.client_id, scopes=scopes, basis=basis
    )


async def _continue(
    req: AuthorizationRequest,
    client: OAuthClient,
    account: Account,
    sso: LoginSession,
    session: SqlSession,
    identity: Identity,
) -> Response:
    """After sign-in: check whom the person acts for, ask consent where needed, then issue the code."""
    params = req.params
    requested = parse_scope(params.get("scope"))
    if not _admits(client, account):
        await audit.record(session, "authorize.account_kind_refused", actor=str(account.id), client_id=client.client_id)
        return _error_redirect(params, "access_denied", f"this client is for {account.kind} accounts only", identity)
    acting = await acting_for(session, account, params.get("enterprise") or None)
    if acting is None:
        return _error_redirect(params, "access_denied", "you may not act for this enterprise", identity)
    if acting.enterprise and excess_scopes(requested, acting.allowed_scopes):
        await audit.record(
            session,
            "authorize.scope_refused",
            actor=str(account.id),
            client_id=client.client_id,
            enterprise=acting.enterprise,
            scopes=excess_scopes(requested, acting.allowed_scopes),
        )
        return _error_redirect(
            params, "invalid_scope", "a requested scope exceeds what the enterprise granted you", identity
        )
    if account.kind == "staff" and "otp" not in (sso.amr or []):
        return pages.error_page("工作人员必须使用动态口令登录 (staff must sign in with a second factor)", 403)
    granted = _granted(requested, client, account, acting)
    if client.first_party:
        await _record_consent(session, account, client, granted, basis="first_party")
    else:
        consent = await session.get(Consent, (account.id, client.client_id))
        if params.get("prompt") == "consent" or consent is None or not set(granted) <= set(consent.scopes):
            if params.get("prompt") == "none":
                return _error_redirect(
                    params, "consent_required", "the user has not consented to this client", identity
                )
            req.stage = "consent"
            return pages.consent_page(
                action=url(identity, "/consent"), request_id=req.id, client_name=client.name, scopes=granted
            )
    return await _issue_code(req, account, sso, session, identity, granted, acting.enterprise)


async def _issue_code(
    req: AuthorizationRequest,
    account: Account,
    sso: LoginSession,
    session: SqlSession,
    identity: Identity,
    scopes: list[str],
    enterprise: str | None,
) -> Response:
    params = req.params
    code = new_opaque_token()
    session.add(
        AuthorizationCode(
            code_hash=token_hash(code),
            client_id=params["client_id"],
            account_id=account.id,
            session_id=sso.id,
            redirect_uri=params["redirect_uri"],
            scope=" ".join(scopes),
            nonce=params.get("nonce"),
            code_challenge=params["code_challenge"],
            enterprise=enterprise,
            auth_time=sso.created_at,
            expires_at=now() + timedelta(seconds=identity.settings.authorization_code_ttl_seconds),
        )
    )
    await session.delete(req)
    return _redirect_with(params["redirect_uri"], {"code": code, "state": params.get("state")}, identity)


@router.post("/consent", summary="Consent form submission", response_model=None, include_in_schema=False)
async def consent(request: Request, session: SessionDep, identity: IdentityDep) -> Response:
    form = await request.form()
    req = await _pending(request, session, _form_value(form, "request_id"), "consent")
    if req is None or req.account_id is None or req.session_id is None:
        return pages.error_page("授权请求已失效，请重新开始 (the request expired; start again)")
    account = await session.get(Account, req.account_id)
    sso = await session.get(LoginSession, req.session_id)
    client = await session.get(OAuthClient, req.params["client_id"])
    assert account is not None and sso is not None and client is not None
    params = req.params
    if _form_value(form, "decision") != "allow":
        await session.delete(req)
        return _error_redirect(params, "access_denied", "the user declined", identity)
    requested = parse_scope(params.get("scope"))
    acting = await acting_for(session, account, params.get("enterprise") or None)
    if acting is None or (acting.enterprise and excess_scopes(requested, acting.allowed_scopes)):
        return _error_redirect(params, "access_denied", "you may no longer act for this enterprise", identity)
    # The same scopes the consent page listed: nothing more than the person saw.
    granted = _granted(requested, client, account, acting)
    await _record_consent(session, account, client, granted, basis="consent")
    return await _issue_code(req, account, sso, session, identity, granted, acting.enterprise)


# ---------------------------------------------------------------- token


def _pkce_ok(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: the verifier is 43-128 unreserved characters whose SHA-256 is the challenge."""
    if not PKCE_VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(create_s256_code_challenge(verifier), challenge)


def _token_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v[:4000] for k, v in form.items() if isinstance(v, str)}


@router.post("/token", summary="Token endpoint", response_model=None, responses=OAUTH_ERRORS)
async def token(
    request: Request,
    session: SessionDep,
    identity: IdentityDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    try:
        form = await _form(request)
        grant = form.get("grant_type")
        client = await authenticate(
            session,
            authorization=authorization,
            form=form,
            audiences={identity.settings.token_issuer, url(identity, "/token")},
            allow_public=grant in ("authorization_code", "refresh_token"),
        )
        if grant == "authorization_code":
            body = await _grant_code(form, client, session, identity)
        elif grant == "refresh_token":
            body = await _grant_refresh(form, client, session, identity)
        elif grant == "client_credentials":
            body = await _grant_client_credentials(form, client, session, identity)
        else:
            raise OAuthError(
                "unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials"
            )
    except OAuthError as exc:
        # Returned, not raised: what the error path recorded (a revoked family) must be committed.
        return exc.to_response()
    return _token_response(body)


async def _person_tokens(
    identity: Identity,
    session: SqlSession,
    *,
    client: OAuthClient,
    account: Account,
    sso: LoginSession,
    scope: str,
    enterprise: str | None,
    nonce: str | None,
    auth_time: Any,
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


def _session_open(sso: LoginSession | None) -> bool:
    return sso is not None and sso.ended_at is None and aware(sso.expires_at) > now()


async def _grant_code(
    form: dict[str, str], client: OAuthClient, session: SqlSession, identity: Identity
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
    if aware(row.expires_at) <= now():
        raise invalid_grant("the authorization code expired")
    if form.get("redirect_uri") != row.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request")
    if not _pkce_ok(form.get("code_verifier", ""), row.code_challenge):
        raise invalid_grant("the PKCE code_verifier does not match")
    row.used_at = now()
    account = await session.get(Account, row.account_id)
    sso = await session.get(LoginSession, row.session_id)
    if account is None or account.disabled or not _session_open(sso):
        raise invalid_grant("the sign-in session has ended")
    assert sso is not None
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


async def _grant_refresh(
    form: dict[str, str], client: OAuthClient, session: SqlSession, identity: Identity
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
    if aware(row.expires_at) <= now():
        raise invalid_grant("the refresh token expired")
    account = await session.get(Account, row.account_id)
    sso = await session.get(LoginSession, row.session_id)
    if account is None or account.disabled or not _session_open(sso):
        # A refresh lives no longer than the sign-in session it was issued under (ended or expired).
        raise invalid_grant("the sign-in session has ended")
    assert sso is not None
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


async def _grant_client_credentials(
    form: dict[str, str], client: OAuthClient, session: SqlSession, identity: Identity
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


# ---------------------------------------------------------------- userinfo, introspection, revocation, logout


@router.get(
    "/userinfo", summary="UserInfo endpoint", response_model=None, operation_id="userinfo_get", responses=OAUTH_ERRORS
)
@router.post(
    "/userinfo", summary="UserInfo endpoint", response_model=None, operation_id="userinfo_post", responses=OAUTH_ERRORS
)
async def userinfo(
    session: SessionDep, identity: IdentityDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    scheme, _, raw = (authorization or "").partition(" ")
    claims = await read_access_token(identity, session, raw.strip()) if scheme.lower() == "bearer" and raw else None
    if claims is None or "openid" not in str(claims.get("scope", "")).split() or claims.get("kind") == "system":
        return invalid_token("the access token is not valid for userinfo").to_response()
    account = await session.get(Account, uuid.UUID(str(claims["sub"])))
    if account is None or account.disabled:
        return invalid_token("the account no longer exists").to_response()
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
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post("/introspect", summary="Token introspection (RFC 7662)", response_model=None, responses=OAUTH_ERRORS)
async def introspect(
    request: Request, session: SessionDep, identity: IdentityDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    try:
        form = await _form(request)
        client = await authenticate(
            session,
            authorization=authorization,
            form=form,
            audiences={identity.settings.token_issuer, url(identity, "/introspect"), url(identity, "/token")},
            allow_public=False,
        )
    except OAuthError as exc:
        return exc.to_response()
    raw = form.get("token", "")
    if not raw:
        return invalid_request("token is required").to_response()
    inactive = _token_response({"active": False})
    if raw.count(".") == 2:
        claims = await read_access_token(identity, session, raw)
        if claims is None:
            return inactive
        return _token_response({"active": True, "token_type": "Bearer", **claims})
    row = await session.get(RefreshToken, token_hash(raw))
    if (
        row is None
        or row.client_id != client.client_id
        or row.used_at
        or row.revoked_at
        or aware(row.expires_at) <= now()
    ):
        return inactive
    return _token_response(
        {
            "active": True,
            "token_type": "refresh_token",
            "client_id": row.client_id,
            "sub": str(row.account_id),
            "scope": row.scope,
            "exp": int(aware(row.expires_at).timestamp()),
            "iss": identity.settings.token_issuer,
        }
    )


@router.post(
    "/revoke",
    summary="Token revocation (RFC 7009)",
    response_model=None,
    response_class=Response,
    responses=OAUTH_ERRORS,
)
async def revoke(
    request: Request, session: SessionDep, identity: IdentityDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    try:
        form = await _form(request)
        client = await authenticate(
            session,
            authorization=authorization,
            form=form,
            audiences={identity.settings.token_issuer, url(identity, "/revoke"), url(identity, "/token")},
            allow_public=True,
        )
    except OAuthError as exc:
        return exc.to_response()
    raw = form.get("token", "")
    if not raw:
        return invalid_request("token is required").to_response()
    if raw.count(".") == 2:
        claims = await read_access_token(identity, session, raw)
        if claims is not None and claims.get("client_id") == client.client_id:
            jti = str(claims["jti"])
            if await session.get(RevokedAccessToken, jti) is None:
                # Listed (GET /v1/revocations) until the token expires, plus the verifiers' leeway.
                expires = datetime.fromtimestamp(int(claims["exp"]) + REVOCATION_LEEWAY_SECONDS, UTC)
                session.add(RevokedAccessToken(jti=jti, expires_at=expires))
            await audit.record(
                session,
                "token.revoked",
                client_id=client.client_id,
                target=str(claims["sub"]),
                kind="access_token",
            )
    else:
        row = await session.get(RefreshToken, token_hash(raw))
        if row is not None and row.client_id == client.client_id:
            await revoke_family(session, row.family_id)
            await audit.record(
                session,
                "token.revoked",
                client_id=client.client_id,
                target=str(row.account_id),
                kind="refresh_token",
            )
    # RFC 7009: an unknown or foreign token gets the same answer, so the endpoint reveals nothing.
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


async def _logout_hint(identity: Identity, session: SqlSession, hint: str | None) -> tuple[dict[str, Any], bool] | None:
    """The claims of an ID token this issuer signed (expired or not) and whether it is still fresh."""
    if not hint:
        return None
    claims = await read_jwt(identity, session, hint, verify_exp=False)
    if claims is None or claims.get("_typ") == ACCESS_TOKEN_TYP or not isinstance(claims.get("aud"), str):
        return None
    fresh = await read_jwt(identity, session, hint) is not None
    return claims, fresh


def _logout_csrf(raw_session_cookie: str) -> str:
    # Bound to the browser's own session cookie, which another site can neither read nor send on a POST.
    return token_hash("logout:" + raw_session_cookie)


@router.get(
    "/logout",
    summary="RP-initiated logout",
    response_model=None,
    response_class=HTMLResponse,
    responses=REDIRECT,
    operation_id="logout_get",
)
@router.post(
    "/logout",
    summary="RP-initiated logout",
    response_model=None,
    response_class=HTMLResponse,
    responses=REDIRECT,
    operation_id="logout_post",
)
async def logout(request: Request, session: SessionDep, identity: IdentityDep) -> Response:
    """Ends this browser's sign-in session at once only for a fresh ``id_token_hint`` of that very session;
    otherwise (no hint, an expired or another session's hint) the person confirms on a page (POST with a
    CSRF token). Redirects only to a ``post_logout_redirect_uri`` registered for the hint's client."""
    params = dict(request.query_params)
    if request.method == "POST":
        params.update(await _form(request))
    hint = await _logout_hint(identity, session, params.get("id_token_hint"))
    client_id = str(hint[0]["aud"]) if hint else params.get("client_id")
    if hint and params.get("client_id") and params["client_id"] != client_id:
        return pages.error_page("client_id 与 id_token_hint 不符 (client_id does not match the id_token_hint)")
    client = await session.get(OAuthClient, client_id) if client_id else None
    target = params.get("post_logout_redirect_uri")
    if target and (client is None or target not in client.post_logout_redirect_uris):
        target = None  # never redirect to an address the client did not register

    raw = request.cookies.get(identity.settings.session_cookie_name, "")
    sso = await _sso_session(request, session, identity)
    if sso is not None:
        claims, fresh = hint if hint else ({}, False)
        own_hint = fresh and claims.get("sid") == str(sso.id) and claims.get("sub") == str(sso.account_id)
        confirmed = request.method == "POST" and hmac.compare_digest(params.get("csrf", ""), _logout_csrf(raw))
        if not own_hint and not confirmed:
            return pages.logout_confirm_page(
                action=url(identity, "/logout"),
                csrf=_logout_csrf(raw),
                client_name=client.name if client else None,
                keep={"client_id": client_id, "post_logout_redirect_uri": target, "state": params.get("state")},
            )
        await end_sessions(session, [sso.id])
        await audit.record(session, "logout", actor=str(sso.account_id), client_id=client_id, sessions=[str(sso.id)])
    response: Response = (
        _redirect_with(target, {"state": params.get("state")}, identity) if target else pages.signed_out_page()
    )
    response.delete_cookie(identity.settings.session_cookie_name, path="/")
    return response


@router.get(
    "/v1/revocations",
    summary="Access tokens revoked and sign-in sessions ended whose tokens may still be live",
    response_model=Revocations,
)
async def list_revocations(session: SessionDep, identity: IdentityDep) -> JSONResponse:
    """Public: it shows only random ids (token ``jti``, session ``sid``). Services verify tokens offline and
    poll this to refuse such tokens before they expire; an entry stays for the access-token lifetime (and
    the verifiers' leeway), after which every token it names has expired anyway."""
    jtis, sids = await revocations(session, window_seconds=revocation_window(identity.settings))
    body = Revocations(jtis=jtis, sids=sids, until=int(now().timestamp()))
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})
