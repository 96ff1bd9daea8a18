"""The API gateway: ``/api/<service>/...`` proxied to the services, health, and the merged OpenAPI."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager

import aiohttp
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.telemetry import TelemetryConfig
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.apidocs import ASSETS_URL, DOCS_URL, DocsAssets, docs_page
from gateway.auth import CallerLogFilter, EdgeAuth
from gateway.edge import PROBE_PATHS, Edge
from gateway.openapi import OpenAPIAggregator
from gateway.paths import InvalidPath, canonical, encode
from gateway.proxy import Proxy
from gateway.security import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, SecurityHeaders
from gateway.settings import RESERVED_NAMES, GatewaySettings
from gov_common.errors import install_problem_handlers, problem_response
from gov_common.requestid import access_log
from gov_common.telemetry import RequestObserver, instrument_app, metrics_endpoint, setup_logging, setup_providers

log = logging.getLogger(__name__)

VERSION = "0.1.0"
OPENAPI_URL = "/api/openapi.json"
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def route_labels(upstreams: Collection[str]) -> Callable[[Scope], str]:
    """The metrics label of a request: the upstream it was for (``/api/catalog``) or the gateway's own
    path, so that the series stay few whatever paths callers send."""
    known = frozenset(upstreams)

    def label(scope: Scope) -> str:
        path: str = scope["path"]
        if path.startswith("/api/"):
            service = path[5:].split("/", 1)[0]
            if service in known:
                return f"/api/{service}"
        if path.startswith(ASSETS_URL + "/"):
            return ASSETS_URL
        return path if path in (OPENAPI_URL, DOCS_URL) else "unmatched"

    return label


async def _probe(session: aiohttp.ClientSession, base: str, timeout: aiohttp.ClientTimeout) -> str:
    try:
        async with session.get(base + "/readyz", timeout=timeout, allow_redirects=False) as resp:
            await resp.read()
            return "ready" if resp.status == 200 else "not-ready"
    except (aiohttp.ClientError, OSError):
        return "down"


class ProxyFastPath:
    """``/api/<service>[/...]`` goes straight to the proxy once the edge admits it; everything else
    (``/api/docs``, ``/api/openapi.json``, health) to the app. Only health probes skip the rate limit."""

    def __init__(self, app: ASGIApp, *, proxy: Proxy, edge: Edge) -> None:
        self.app = app
        self.proxy = proxy
        self.edge = edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            # Decoded once from the raw path: routing, the token check and the upstream all see this one.
            path = canonical(scope.get("raw_path") or scope["path"].encode())
        except InvalidPath as exc:
            await _invalid_path(str(exc))(scope, receive, send)
            return
        service = path[5:].split("/", 1)[0] if path.startswith("/api/") else ""
        if not service or service in RESERVED_NAMES:
            refused = None if path in PROBE_PATHS else self.edge.limit_address(scope)
            await (refused or self.app)(scope, receive, send)
            return
        rest = path[5 + len(service) :] or "/"  # what the upstream sees
        refused = None if rest in PROBE_PATHS else self.edge.limit_address(scope)
        if refused is None and service in self.proxy.upstreams:  # an unknown one is the proxy's 404
            refused = await self.edge.admit(scope, service, rest)
        if refused is not None:
            await refused(scope, receive, send)
            return
        scope["path_params"] = {"service": service, "path": encode(rest)}
        await self.proxy(scope, receive, send)


def _invalid_path(reason: str) -> Response:
    # No instance: the path is the attack, and echoing it back helps nobody.
    return problem_response(
        status=400, slug="invalid-path", title="The request path is not acceptable", detail=reason + "."
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The ASGI app (``uvicorn gateway.main:create_app --factory``)."""
    settings = settings or GatewaySettings()
    setup_logging(settings.service_name, level=settings.log_level, json_logs=settings.log_json)
    setup_providers(settings.service_name, settings.otlp_endpoint)
    if not any(isinstance(f, CallerLogFilter) for f in access_log.filters):
        access_log.addFilter(CallerLogFilter())
    proxy = Proxy(settings)
    auth = EdgeAuth.from_settings(settings)
    edge = Edge(settings, auth)
    openapi = OpenAPIAggregator(
        settings.upstreams,
        lambda: proxy.session,
        fetch_timeout_seconds=settings.openapi_fetch_timeout_seconds,
        cache_seconds=settings.openapi_cache_seconds,
        version=VERSION,
    )
    probe_timeout = aiohttp.ClientTimeout(total=settings.readiness_probe_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await proxy.start()
        log.info("gateway started, upstreams: %s", ", ".join(sorted(proxy.upstreams)))
        try:
            yield
        finally:
            await proxy.close()
            await auth.close()
            log.info("gateway stopped")

    # The gateway's own routes are not public API; the merged document is at /api/openapi.json.
    app = FastAPI(
        title="API gateway",
        version=VERSION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own telemetry would trace every request too; instrument_app replaces it when on.
        telemetry=None if settings.tracing else _NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.proxy = proxy
    app.state.edge = edge
    app.state.openapi = openapi
    install_problem_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        # Ready when the gateway can proxy; a service being down is reported, not a reason to stop
        # routing to the others.
        try:
            session = proxy.session
        except RuntimeError:
            return problem_response(status=503, slug="not-ready", title="Not ready", detail="not started")
        names = list(proxy.upstreams)
        states = await asyncio.gather(*(_probe(session, proxy.upstreams[n], probe_timeout) for n in names))
        return JSONResponse({"status": "ready", "upstreams": dict(zip(names, states, strict=True))})

    # For the in-cluster scraper; 404 to requests that came through an ingress (they carry X-Forwarded-*).
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)

    @app.get(OPENAPI_URL, include_in_schema=False)
    async def merged_openapi() -> Response:
        return Response(await openapi.document(), media_type="application/json")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return docs_page(OPENAPI_URL, "Government service platform API (一体化在线政务服务平台)")

    app.mount(ASSETS_URL, DocsAssets())

    # The hot path skips FastAPI's routing and exception layers (measured: they cost more than the
    # proxy itself); request ids, the access log, security headers, CORS and tracing still wrap it.
    app.add_middleware(ProxyFastPath, proxy=proxy, edge=edge)
    if settings.cors_origins:
        # Outside the edge: a preflight carries no token and is answered here.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=list(CORS_ALLOW_HEADERS),
            expose_headers=list(CORS_EXPOSE_HEADERS),
            max_age=settings.cors_max_age_seconds,
        )
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    # Request id, access log and the duration histogram in one layer. Every answer counts, the edge's
    # 401/429/503 included, by upstream rather than by path.
    app.add_middleware(RequestObserver, route_of=route_labels(proxy.upstreams))
    if settings.tracing:
        instrument_app(app)
    return app
