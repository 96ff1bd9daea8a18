"""Which routes need a token: every service's real behaviour against the gateway's reviewed public-route
table (gateway/src/gateway/public_routes.py), and the edge in front of a real service.

Each service boots on PostgreSQL and Kafka; every operation of its OpenAPI document (and every route it
hides from it, such as the sign-in forms) is called without a token. An operation in the table must not
answer 401; any other must answer 401 problem+json. A route made public in a service, or a public one
made private, fails here until the table says so: the table is the one place that is reviewed.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from gateway.main import create_app as create_gateway
from gateway.public_routes import INTERNAL_PATHS, PUBLIC_ROUTES, PublicRouteTable, default_public_routes
from gateway.settings import GatewaySettings
from gov_common.testing import SERVICES, TcpProxy, TestIssuer, serve_lifespan, serve_on_port

PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def service_app(service: str, pg_url: str, kafka_bootstrap: str, data_dir: Path, **options: Any) -> FastAPI:
    module = importlib.import_module(f"{service}.main")
    settings = importlib.import_module(f"{service}.settings").Settings(
        data_dir=data_dir,
        database_url=pg_url,
        event_bus="kafka",
        kafka_bootstrap_servers=kafka_bootstrap,
        log_json=False,
        log_level="WARNING",
        **options,
    )
    app: FastAPI = module.create_app(settings)
    return app


def dummy(schema: dict[str, Any]) -> str:
    """A plausible value for a path parameter of ``schema``."""
    for options in (schema.get("enum"), *(s.get("enum") for s in schema.get("anyOf", []))):
        if options:
            return str(options[0])
    if schema.get("type") == "integer":
        return "1"
    if schema.get("format") == "uuid":
        return str(uuid.UUID(int=1))
    return "X1"


def operations(app: FastAPI, spec: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(method, path template) of every operation, documented or hidden, to a concrete path to call."""
    found: dict[tuple[str, str], str] = {}
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in METHODS:
                continue
            params = {p["name"]: p.get("schema", {}) for p in [*shared, *operation.get("parameters", [])]}
            found[(method.upper(), template)] = concrete(template, params)
    for route in iter_route_contexts(app.routes):
        # Operations left out of the document (sign-in forms...); not the document and docs pages themselves.
        if isinstance(route.original_route, APIRoute) and not route.include_in_schema and route.path:
            for method in route.methods or ():
                found.setdefault((method, route.path), _PARAM.sub("X1", route.path))
    return found


def concrete(template: str, params: dict[str, Any]) -> str:
    return _PARAM.sub(lambda m: dummy(params.get(m.group(1), {})), template)


def test_the_gateway_default_is_the_reviewed_table() -> None:
    assert GatewaySettings().public_routes == default_public_routes()
    assert set(PUBLIC_ROUTES) == set(SERVICES), "every service is reviewed, even with only its probes public"


@pytest.mark.parametrize("service", SERVICES)
async def test_routes_need_a_token_unless_reviewed_as_public(
    service: str, pg_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    app = service_app(service, pg_url, kafka_bootstrap, tmp_path)
    reviewed = {p.route: p for p in PUBLIC_ROUTES[service]}
    table = PublicRouteTable(default_public_routes())
    failures: list[str] = []
    async with serve_lifespan(app) as client:
        spec = (await client.get("/openapi.json")).json()
        found = operations(app, spec)
        for (method, template), path in sorted(found.items()):
            route = f"{method} {template}"
            if template in INTERNAL_PATHS:
                continue  # never forwarded by the gateway
            body: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            resp = await client.request(method, path, **body)
            public = reviewed.get(route)
            if table.is_public(service, method, path) != (public is not None):
                failures.append(f"{route}: the gateway's matcher disagrees with the table for {path}")
            if public is None:
                if resp.status_code != 401:
                    failures.append(f"{route}: answered {resp.status_code} without a token; review it")
                elif not resp.headers.get("www-authenticate", "").startswith("Bearer"):
                    failures.append(f"{route}: 401 without a Bearer challenge")
                elif resp.headers.get("content-type") != PROBLEM and "error" not in resp.json():
                    # OIDC's own endpoints (userinfo) answer RFC 6750 errors instead of problem details.
                    failures.append(f"{route}: 401 that is neither problem+json nor an OAuth error")
            elif public.caller == "client":
                # The service authenticates the OAuth client itself.
                if resp.status_code != 401 or resp.json().get("error") != "invalid_client":
                    failures.append(f"{route}: expected the service's own invalid_client, got {resp.status_code}")
            elif resp.status_code == 401:
                failures.append(f"{route}: listed as public but answers 401")
    stale = set(reviewed) - {f"{m} {t}" for m, t in found}
    assert not stale, f"public routes that {service} does not have: {sorted(stale)}"
    assert not failures, "\n".join(failures)


@asynccontextmanager
async def catalog_behind_gateway(
    pg_url: str, kafka_bootstrap: str, tmp_path: Path, issuer: TestIssuer, **gateway_options: Any
) -> AsyncIterator[tuple[str, TcpProxy]]:
    """The real catalog (trusting ``issuer``) behind a cuttable TCP hop, and a gateway in front of it."""
    async with serve_on_port(issuer.jwks_app) as identity:
        trust = {"jwks_url": f"{identity}/jwks", "token_issuer": issuer.issuer, "token_audience": issuer.audience}
        catalog = service_app("catalog", pg_url, kafka_bootstrap, tmp_path, **trust)
        async with serve_on_port(catalog) as catalog_url:
            port = int(catalog_url.rsplit(":", 1)[1])
            hop = TcpProxy("127.0.0.1", port)
            await hop.start()
            settings = GatewaySettings(
                upstreams={"catalog": f"http://127.0.0.1:{hop.port}"},
                log_json=False,
                log_level="WARNING",
                **trust,
                **gateway_options,
            )
            try:
                async with serve_on_port(create_gateway(settings)) as gateway:
                    yield gateway, hop
            finally:
                await hop.cut()


async def test_the_edge_in_front_of_the_catalog(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    issuer = TestIssuer()
    allowed = "https://zwfw.example.gov.cn"
    async with (
        catalog_behind_gateway(
            pg_url,
            kafka_bootstrap,
            tmp_path,
            issuer,
            rate_limit_per_client=0.2,
            rate_limit_client_burst=5,
            breaker_failure_threshold=2,
            breaker_open_seconds=1.0,
            cors_origins=[allowed],
        ) as (gateway, hop),
        httpx.AsyncClient(base_url=f"{gateway}/api/catalog", timeout=10) as client,
    ):
        public = await client.get("/v1/items")
        assert public.status_code == 200, "a public read needs no token"
        assert public.headers["x-content-type-options"] == "nosniff"
        assert public.headers["referrer-policy"] == "no-referrer"

        # Refused by the edge itself: its problem names the gateway's path, not the service's.
        missing = await client.get("/v1/items/-/queue")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == PROBLEM
        assert missing.json()["instance"] == "/api/catalog/v1/items/-/queue"
        for token in (issuer.token("u", ttl_seconds=-120), issuer.token("u", aud="other"), "a.b.c"):
            bad = await client.get("/v1/items/-/queue", headers={"Authorization": f"Bearer {token}"})
            assert bad.status_code == 401
            assert bad.json()["instance"] == "/api/catalog/v1/items/-/queue"
            assert 'error="invalid_token"' in bad.headers["www-authenticate"]

        # A valid token goes on: the catalog verifies it again and decides (a citizen is no editor).
        citizen = issuer.headers("citizen-1", kind="citizen")
        forbidden = await client.get("/v1/items/-/queue", headers=citizen)
        assert forbidden.status_code == 403, forbidden.text
        assert forbidden.json()["instance"] == "/api/catalog/v1/items/-/queue", "the public path, not the catalog's own"
        assert forbidden.headers["cache-control"] == "no-store"

        internal = await client.get("/metrics", headers=citizen)
        assert internal.status_code == 404, "the services' metrics are not served through the gateway"

        preflight = await client.options(
            "/v1/items", headers={"Origin": allowed, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.headers["access-control-allow-origin"] == allowed
        refused = await client.options(
            "/v1/items", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in refused.headers

        statuses = [(await client.get("/v1/items", headers=citizen)).status_code for _ in range(6)]
        assert statuses.count(429) >= 1, statuses
        limited = await client.get("/v1/items", headers=citizen)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1

        # The catalog becomes unreachable: two failures open the breaker, then 503 at once.
        await hop.cut()
        assert (await client.get("/v1/bundles")).status_code == 502
        assert (await client.get("/v1/bundles")).status_code in (502, 503)
        opened = await client.get("/v1/bundles")
        assert opened.status_code == 503
        assert opened.headers["content-type"] == PROBLEM
        assert opened.headers["retry-after"] == "1"

        await hop.start()
        deadline = time.monotonic() + 20
        while (await client.get("/v1/bundles")).status_code != 200:
            assert time.monotonic() < deadline, "the breaker never closed"
            await asyncio.sleep(0.3)
        assert (await client.get("/v1/bundles")).status_code == 200
