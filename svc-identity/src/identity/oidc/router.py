"""The OpenID Connect provider: discovery, JWKS, authorization (code + PKCE S256) with an HTML sign-in,
second factor and consent, token (authorization_code, refresh_token, client_credentials), userinfo,
introspection (RFC 7662), revocation (RFC 7009) and logout.

Thin: each route parses the request, calls ``authorization`` (the sign-in, a state machine in ``signin``),
``grants``, ``tokeninfo`` or ``sessions``, and shapes the page, redirect or JSON the protocol fixes.
Every URL in discovery is the issuer (as seen through the gateway) plus the path served here."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from gov_common.deps import SessionDep
from gov_common.scopes import CATALOGUE, OIDC
from gov_standards.china_time import utcnow as now
from identity import audit
from identity.accounts.service import end_sessions
from identity.deps import AddressDep, Identity, IdentityDep
from identity.models import OAuthClient
from identity.oidc import authorization, grants, sessions, signin, tokeninfo
from identity.oidc.authorization import Expired, Step
from identity.oidc.clientauth import ASSERTION_ALGS, authenticate
from identity.oidc.errors import AUTHORIZE_ANSWERS, OAUTH_ERRORS, REDIRECT, OAuthError, invalid_request
from identity.oidc.pages import Pages
from identity.oidc.schemas import Introspection, JsonWebKeySet, ProviderMetadata, TokenResponse, UserInfo
from identity.oidc.signin import Stage
from identity.oidc.tokens import revocation_window, revocations

router = APIRouter(tags=["openid-connect"])

BROWSER_COOKIE = "gov_authz"
EXPIRED = "登录请求已失效，请重新开始"


class Revocations(BaseModel):
    jtis: list[str] = Field(description="ids of access tokens revoked before they expire")
    sids: list[str] = Field(description="sign-in sessions ended (logout, password change...): refuse their tokens")
    until: int = Field(description="the list holds every revocation made until this time (Unix seconds)")


def url(identity: Identity, path: str) -> str:
    return identity.settings.token_issuer.rstrip("/") + path


# ---------------------------------------------------------------- discovery and keys


@router.get(
    "/.well-known/openid-configuration",
    summary="OpenID Provider metadata",
    responses={200: {"model": ProviderMetadata, "description": "OpenID Connect Discovery 1.0"}},
)
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


@router.get(
    "/.well-known/jwks.json",
    summary="Public signing keys (current and those still in overlap)",
    responses={200: {"model": JsonWebKeySet, "description": "RFC 7517"}},
)
async def jwks(session: SessionDep, identity: IdentityDep) -> JSONResponse:
    return JSONResponse(await identity.keys.jwks(session), headers={"Cache-Control": "public, max-age=60"})


# ---------------------------------------------------------------- authorization and sign-in


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


def _form_value(form: Any, name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _render(step: Step, identity: Identity, *, expired: str = EXPIRED) -> Response:
    """The page or redirect of a sign-in step (texts and statuses are part of the protocol's answers)."""
    outcome, req, client = step.outcome, step.request, step.client
    if isinstance(outcome, Expired) or req is None or client is None:
        return Pages.of(identity.settings).error(expired)
    response: Response
    match outcome:
        case signin.AskCredentials():
            response = Pages.of(identity.settings).login(
                action=url(identity, "/login"), request_id=req.id, client_name=client.name
            )
        case signin.Locked(retry_after=retry):
            response = Pages.of(identity.settings).login(
                action=url(identity, "/login"),
                request_id=req.id,
                client_name=client.name,
                error=f"登录失败次数过多，请 {retry} 秒后再试",
                status=429,
            )
            response.headers["Retry-After"] = str(retry)
        case signin.WrongCredentials():
            response = Pages.of(identity.settings).login(
                action=url(identity, "/login"),
                request_id=req.id,
                client_name=client.name,
                error="用户名或密码错误",
                status=401,
            )
        case signin.SecondFactorMissing():
            response = Pages.of(identity.settings).error("工作人员必须先启用动态口令，请联系本单位的账号管理员", 403)
        case signin.AskSecondFactor():
            response = Pages.of(identity.settings).totp(action=url(identity, "/login/totp"), request_id=req.id)
        case signin.SecondFactorLocked():
            response = Pages.of(identity.settings).totp(
                action=url(identity, "/login/totp"),
                request_id=req.id,
                error="动态口令错误次数过多，请稍后再试",
                status=429,
            )
        case signin.WrongSecondFactor():
            response = Pages.of(identity.settings).totp(
                action=url(identity, "/login/totp"),
                request_id=req.id,
                error="动态口令错误，请输入身份验证器当前显示的 6 位数字",
                status=401,
            )
        case signin.StaffWithoutSecondFactor():
            response = Pages.of(identity.settings).error("工作人员必须使用动态口令登录", 403)
        case signin.AskEnterprise(choices=choices):
            response = Pages.of(identity.settings).enterprise(
                action=url(identity, "/enterprise"), request_id=req.id, client_name=client.name, choices=choices
            )
        case signin.AskConsent(scopes=scopes):
            response = Pages.of(identity.settings).consent(
                action=url(identity, "/consent"), request_id=req.id, client_name=client.name, scopes=scopes
            )
        case signin.Deny(error=error, description=description):
            response = _error_redirect(req.params, error, description, identity)
        case signin.IssueCode():
            assert step.code is not None
            response = _redirect_with(
                req.params["redirect_uri"], {"code": step.code, "state": req.params.get("state")}, identity
            )
        case signin.SignedIn():  # never handed out: a sign-in goes on to the enterprise stage at once
            raise AssertionError("a signed-in step is always continued")
    if step.session_cookie is not None:
        s = identity.settings
        _set_cookie(response, identity, s.session_cookie_name, step.session_cookie, s.session_ttl_seconds)
    return response


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
        return Pages.of(identity.settings).error("未知的应用")
    if params.get("redirect_uri") not in client.redirect_uris:
        return Pages.of(identity.settings).error("该应用的回调地址未登记")
    problem = authorization.check_request(params, client)
    if problem:
        return _error_redirect(params, problem.error, problem.description, identity)
    browser, fresh = _browser(request)
    step = await authorization.begin(
        session,
        identity,
        params=params,
        client=client,
        browser=browser,
        session_cookie=request.cookies.get(identity.settings.session_cookie_name),
    )
    response = _render(step, identity)
    if fresh and step.binds_browser:
        _set_cookie(response, identity, BROWSER_COOKIE, browser, identity.settings.login_request_ttl_seconds)
    return response


async def _pending(request: Request, form: Any, session: SessionDep, stage: Stage) -> Any:
    return await authorization.pending(
        session,
        request_id=_form_value(form, "request_id"),
        browser=request.cookies.get(BROWSER_COOKIE, ""),
        stage=stage,
    )


@router.post("/login", summary="Sign-in form submission", response_model=None, include_in_schema=False)
async def login(request: Request, session: SessionDep, identity: IdentityDep, address: AddressDep) -> Response:
    form = await request.form()
    found = await _pending(request, form, session, Stage.CREDENTIALS)
    if found is None:
        return Pages.of(identity.settings).error(EXPIRED)
    req, client = found
    step = await authorization.submit_credentials(
        session,
        identity,
        req=req,
        client=client,
        username=_form_value(form, "username", 64),
        password=_form_value(form, "password", 200),
        address=address,
        user_agent=request.headers.get("user-agent"),
    )
    return _render(step, identity)


@router.post("/login/totp", summary="Second-factor form submission", response_model=None, include_in_schema=False)
async def login_totp(request: Request, session: SessionDep, identity: IdentityDep, address: AddressDep) -> Response:
    form = await request.form()
    found = await _pending(request, form, session, Stage.SECOND_FACTOR)
    if found is None:
        return Pages.of(identity.settings).error(EXPIRED)
    req, client = found
    step = await authorization.submit_second_factor(
        session,
        identity,
        req=req,
        client=client,
        code=_form_value(form, "code", 10),
        address=address,
        user_agent=request.headers.get("user-agent"),
    )
    return _render(step, identity)


@router.post("/enterprise", summary="Acting-for choice submission", response_model=None, include_in_schema=False)
async def enterprise(request: Request, session: SessionDep, identity: IdentityDep) -> Response:
    form = await request.form()
    found = await _pending(request, form, session, Stage.ENTERPRISE)
    if found is None:
        return Pages.of(identity.settings).error(EXPIRED)
    req, client = found
    step = await authorization.submit_enterprise(
        session, identity, req=req, client=client, choice=_form_value(form, "acting_for", 32) or "self"
    )
    return _render(step, identity)


@router.post("/consent", summary="Consent form submission", response_model=None, include_in_schema=False)
async def consent(request: Request, session: SessionDep, identity: IdentityDep) -> Response:
    form = await request.form()
    expired = "授权请求已失效，请重新开始"
    found = await _pending(request, form, session, Stage.CONSENT)
    if found is None:
        return Pages.of(identity.settings).error(expired)
    req, client = found
    allowed = _form_value(form, "decision") == "allow"
    step = await authorization.submit_consent(session, identity, req=req, client=client, allowed=allowed)
    return _render(step, identity, expired=expired)


# ---------------------------------------------------------------- token endpoints


def _token_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v[:4000] for k, v in form.items() if isinstance(v, str)}


async def _client(
    request: Request,
    session: SessionDep,
    identity: Identity,
    authorization_header: str | None,
    *,
    endpoint: str,
    allow_public: bool | None = None,
) -> tuple[dict[str, str], OAuthClient]:
    """The form and the client it authenticates (a client assertion may name the issuer, this endpoint or
    the token endpoint as its audience); ``allow_public`` None: as the form's grant allows."""
    form = await _form(request)
    public = form.get("grant_type") in grants.PUBLIC_GRANTS if allow_public is None else allow_public
    client = await authenticate(
        session,
        authorization=authorization_header,
        form=form,
        audiences={identity.settings.token_issuer, url(identity, endpoint), url(identity, "/token")},
        allow_public=public,
    )
    return form, client


@router.post(
    "/token",
    summary="Token endpoint",
    response_model=None,
    responses={200: {"model": TokenResponse, "description": "RFC 6749 §5.1"}, **OAUTH_ERRORS},
)
async def token(
    request: Request,
    session: SessionDep,
    identity: IdentityDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    try:
        form, client = await _client(request, session, identity, authorization, endpoint="/token")
        body = await grants.issue(session, identity, form=form, client=client)
    except OAuthError as exc:
        # Returned, not raised: what the error path recorded (a revoked family) must be committed.
        return exc.to_response()
    return _token_response(body)


@router.get(
    "/userinfo",
    summary="UserInfo endpoint",
    response_model=None,
    operation_id="userinfo_get",
    responses={200: {"model": UserInfo, "description": "OpenID Connect Core §5.3"}, **OAUTH_ERRORS},
)
@router.post(
    "/userinfo",
    summary="UserInfo endpoint",
    response_model=None,
    operation_id="userinfo_post",
    responses={200: {"model": UserInfo, "description": "OpenID Connect Core §5.3"}, **OAUTH_ERRORS},
)
async def userinfo(
    session: SessionDep, identity: IdentityDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    scheme, _, raw = (authorization or "").partition(" ")
    bearer = raw.strip() if scheme.lower() == "bearer" and raw else None
    try:
        body = await tokeninfo.userinfo(identity, session, bearer)
    except OAuthError as exc:
        return exc.to_response()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/introspect",
    summary="Token introspection (RFC 7662)",
    response_model=None,
    responses={200: {"model": Introspection, "description": "RFC 7662 §2.2"}, **OAUTH_ERRORS},
)
async def introspect(
    request: Request, session: SessionDep, identity: IdentityDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    try:
        form, client = await _client(
            request, session, identity, authorization, endpoint="/introspect", allow_public=False
        )
    except OAuthError as exc:
        return exc.to_response()
    raw = form.get("token", "")
    if not raw:
        return invalid_request("token is required").to_response()
    return _token_response(await tokeninfo.introspect(identity, session, client, raw))


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
        form, client = await _client(request, session, identity, authorization, endpoint="/revoke", allow_public=True)
    except OAuthError as exc:
        return exc.to_response()
    raw = form.get("token", "")
    if not raw:
        return invalid_request("token is required").to_response()
    await tokeninfo.revoke(identity, session, client, raw)
    # RFC 7009: an unknown or foreign token gets the same answer, so the endpoint reveals nothing.
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- logout and revocations


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
    hint = await sessions.logout_hint(identity, session, params.get("id_token_hint"))
    client_id = str(hint[0]["aud"]) if hint else params.get("client_id")
    if hint and params.get("client_id") and params["client_id"] != client_id:
        return Pages.of(identity.settings).error("退出请求中的应用与登录会话不符")
    client = await session.get(OAuthClient, client_id) if client_id else None
    target = params.get("post_logout_redirect_uri")
    if target and (client is None or target not in client.post_logout_redirect_uris):
        target = None  # never redirect to an address the client did not register

    raw = request.cookies.get(identity.settings.session_cookie_name, "")
    sso = await sessions.current(session, raw)
    if sso is not None:
        csrf = sessions.logout_csrf(raw)
        confirmed = request.method == "POST" and hmac.compare_digest(params.get("csrf", ""), csrf)
        if not sessions.ends_at_once(hint, sso) and not confirmed:
            return Pages.of(identity.settings).logout_confirm(
                action=url(identity, "/logout"),
                csrf=csrf,
                client_name=client.name if client else None,
                keep={"client_id": client_id, "post_logout_redirect_uri": target, "state": params.get("state")},
            )
        await end_sessions(session, [sso.id])
        await audit.record(session, "logout", actor=str(sso.account_id), client_id=client_id, sessions=[str(sso.id)])
    response: Response = (
        _redirect_with(target, {"state": params.get("state")}, identity)
        if target
        else Pages.of(identity.settings).signed_out()
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
