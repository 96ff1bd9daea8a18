"""The composition root of a web front-end: settings, its database (sessions), the HTTP client to the
gateway, the OIDC client, templates and assets, security headers, sign-in, callback and sign-out routes,
health probes and error pages, in one app. A front-end adds its own routers and templates."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment

from gov_common.db import Database
from gov_common.migrations import upgrade
from gov_common.service import background_task
from gov_common.telemetry import setup_logging
from gov_web import csrf
from gov_web.gateway import ApiError, Gateway
from gov_web.oidc import OIDCClient, SignInFailed, SignInRequired, safe_next
from gov_web.security import SecurityHeaders, content_security_policy
from gov_web.sessions import SessionMiddleware, SessionStore, WebSession
from gov_web.settings import WebSettings
from gov_web.templating import STATIC_DIR, STATIC_PATH, environment

log = logging.getLogger(__name__)
PURGE_SECONDS = 600.0


@dataclass
class WebRuntime:
    settings: WebSettings
    db: Database
    store: SessionStore
    http: httpx.AsyncClient
    oidc: OIDCClient
    gateway: Gateway
    templates: Environment
    site_name: str


def runtime(request: Request) -> WebRuntime:
    web: WebRuntime = request.app.state.web
    return web


async def api(request: Request, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The platform's API as the signed-in person (:meth:`Gateway.request`)."""
    return await runtime(request).gateway.request(request, method, path, **kwargs)


async def json_or_none(request: Request, path: str, **params: Any) -> Any:
    """A read as the signed-in person: the JSON of a 200, else None (:meth:`Gateway.json`)."""
    return await runtime(request).gateway.json(request, path, **params)


async def public_json(request: Request, path: str, **params: Any) -> Any:
    """A public read, the same for everyone and briefly remembered (:meth:`Gateway.public_json`)."""
    return await runtime(request).gateway.public_json(request, path, params)


def session_of(request: Request) -> WebSession:
    ws: WebSession = request.state.session
    return ws


def signed_in_user(request: Request) -> dict[str, Any] | None:
    user = session_of(request).get("user")
    return user if isinstance(user, dict) and session_of(request).get("tokens") else None


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """``template`` with the layout's context: the site, who is signed in, the CSRF token for forms."""
    web = runtime(request)
    ws = session_of(request)
    flash = ws.pop("flash") if ws.get("flash") else None
    page = web.templates.get_template(template).render(
        request=request,
        site_name=web.site_name,
        user=signed_in_user(request),
        csrf_token=lambda: csrf.token(ws),
        csrf_field=csrf.FIELD,
        flash=flash,
        path=request.url.path,
        **(context or {}),
    )
    return HTMLResponse(page, status_code=status_code)


def needs_csrf_token(request: Request) -> str:
    """For a page with a form anyone may send (no sign-in): the session's CSRF token, made now."""
    return csrf.token(session_of(request))


async def csrf_protected(request: Request) -> None:
    """A dependency of every unsafe route: the form's CSRF token and origin are checked."""
    await csrf.check(request, runtime(request).settings.public_url)


def flash(request: Request, message: str) -> None:
    session_of(request).set("flash", message)


def _auth_router() -> APIRouter:
    router = APIRouter()

    @router.get("/login", include_in_schema=False)
    async def login(request: Request, next: str = "/", switch: bool = False) -> Response:
        # switch: the person chooses again for whom they act (themself or an enterprise), at identity.
        prompt = "select_account" if switch else None
        url = runtime(request).oidc.begin(session_of(request), safe_next(next), prompt=prompt)
        return RedirectResponse(url, status_code=303)

    @router.get("/callback", include_in_schema=False)
    async def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
        ws = session_of(request)
        if error or not code or not state:
            pending = ws.get("oidc_pending") or {}
            back = pending.get(state, {}).get("next", "/") if isinstance(pending, dict) else "/"
            ws.set("oidc_pending", {k: v for k, v in pending.items() if k != state})
            return render(request, "web/signin_failed.html", {"back": back}, status_code=400)
        try:
            back = await runtime(request).oidc.finish(ws, code=code, state=state)
        except SignInFailed as exc:
            log.warning("sign-in refused: %s", exc)
            return render(request, "web/signin_failed.html", {"back": "/"}, status_code=400)
        return RedirectResponse(back, status_code=303)

    @router.post("/logout", include_in_schema=False, dependencies=[Depends(csrf_protected)])
    async def logout(request: Request) -> Response:
        url = await runtime(request).oidc.sign_out(session_of(request))
        return RedirectResponse(url, status_code=303)

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        try:
            await runtime(request).db.ping()
        except Exception as exc:
            log.warning("readiness: database down: %r", exc)
            return JSONResponse({"status": "not ready", "checks": {"database": "down"}}, status_code=503)
        return JSONResponse({"status": "ready", "checks": {"database": "ok"}})

    return router


def create_web_app(
    settings: WebSettings,
    *,
    site_name: str,
    template_dir: Path,
    static_dir: Path,
    migrations_dir: Path,
    routers: Sequence[APIRouter],
    globals: dict[str, Any] | None = None,
    embeds_own_files: bool = False,
) -> FastAPI:
    setup_logging(settings.service_name, level=settings.log_level, json_logs=settings.log_json)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call would drown the log
    db = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    store = SessionStore(db, idle_seconds=settings.session_idle_seconds, max_seconds=settings.session_max_seconds)
    http = httpx.AsyncClient(base_url=settings.gateway_url.rstrip("/"), timeout=httpx.Timeout(15.0, connect=5.0))
    oidc = OIDCClient(settings, http, store)
    templates = environment(template_dir)
    templates.globals.update(globals or {})
    web = WebRuntime(settings, db, store, http, oidc, Gateway(http, oidc), templates, site_name)

    async def purge() -> None:
        import asyncio

        while True:
            try:
                await store.purge_expired()
            except Exception as exc:
                log.warning("could not purge expired sessions: %r", exc)
            await asyncio.sleep(PURGE_SECONDS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade(db, migrations_dir)
        try:
            async with background_task("purge-sessions", purge):
                yield
        finally:
            await http.aclose()
            await db.dispose()

    app = FastAPI(title=site_name, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
    app.mount("/static/app", StaticFiles(directory=static_dir), name="app-static")
    app.include_router(_auth_router())
    for router in routers:
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": safe_next(exc.next_path)}), status_code=303)

    @app.exception_handler(csrf.CsrfFailed)
    async def _csrf(request: Request, exc: csrf.CsrfFailed) -> Response:
        return render(
            request,
            "web/error.html",
            {"title": "页面已过期", "message": "表单已过期或来源不明，请返回上一页刷新后重新提交。"},
            403,
        )

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        log.warning("API answered %s on %s", exc.status, request.url.path)
        return render(
            request,
            "web/error.html",
            {"title": "服务暂时不可用", "message": "系统繁忙，您的操作未生效，请稍后再试。"},
            503,
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_path(request: Request, exc: RequestValidationError) -> Response:
        # A page address with a malformed id (another format, a path trick) is a page that does not exist.
        return render(request, "web/error.html", {"title": "页面不存在", "message": "您访问的页面不存在。"}, 404)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> Response:
        if not hasattr(request.state, "session"):
            return HTMLResponse("not found", status_code=404)
        return render(
            request, "web/error.html", {"title": "页面不存在", "message": "您访问的页面不存在或已被移除。"}, 404
        )

    hsts = settings.public_url.startswith("https://")
    csp = content_security_policy(settings.browser_gateway_url, embeds_own_files=embeds_own_files)
    app.add_middleware(SessionMiddleware, store=store, cookie_name=settings.cookie_name, secure=settings.cookie_secure)
    app.add_middleware(SecurityHeaders, csp=csp, hsts=hsts)
    return app
