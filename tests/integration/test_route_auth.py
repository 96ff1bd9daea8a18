"""Which routes need a token: every service's real behaviour against the gateway's reviewed public-route
table (gateway/src/gateway/public_routes.py), and the edge in front of a real service.

Each service boots on PostgreSQL and Kafka; every operation of its OpenAPI document (and every route it
hides from it, such as the sign-in forms) is called without a token. An operation in the table must not
answer 401; any other must answer 401 problem+json. A route made public in a service, or a public one
made private, fails here until the table says so: the table is the one place that is reviewed.
"""

from __future__ import annotations

import asyncio
import html
import importlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

from gateway.main import create_app as create_gateway
from gateway.public_routes import PUBLIC_ROUTES, PublicRouteTable, default_public_routes, is_internal
from gateway.settings import GatewaySettings
from gov_common.testing import SERVICES, TcpProxy, TestIssuer, eventually, free_port, serve_lifespan, serve_on_port

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
    for mount in app.routes:
        # Folders of files (identity's sign-in pages' assets): each file is an operation the gateway could
        # forward to, listed one by one in the public table.
        if isinstance(mount, Mount) and isinstance(mount.app, StaticFiles) and mount.app.directory is not None:
            folder = Path(mount.app.directory)
            for file in sorted(f for f in folder.rglob("*") if f.is_file() and "__pycache__" not in f.parts):
                path = f"{mount.path}/{file.relative_to(folder).as_posix()}"
                found.setdefault(("GET", path), path)
    return found


def probe_body(spec: dict[str, Any], method: str, template: str) -> dict[str, Any]:
    """httpx arguments for an empty body of the type the operation reads (another type is 415 before any
    token check): a form for a form operation, else JSON; none for a method without a body."""
    if method not in ("POST", "PUT", "PATCH"):
        return {}
    operation = spec["paths"].get(template, {}).get(method.lower(), {})
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "multipart/form-data" in content:
        return {"files": {"probe": ("probe.txt", b"probe")}}
    if "application/x-www-form-urlencoded" in content:
        return {"data": {"probe": "probe"}}
    return {"json": {}}


def concrete(template: str, params: dict[str, Any]) -> str:
    return _PARAM.sub(lambda m: dummy(params.get(m.group(1), {})), template)


def test_the_gateway_default_is_the_reviewed_table() -> None:
    assert GatewaySettings().public_routes == default_public_routes()
    assert set(PUBLIC_ROUTES) == set(SERVICES), "every service is reviewed, even with only its probes public"


# Routes a service has only when configured so: payment's sandbox pay page is public where it runs (make run).
OPTIONS: dict[str, dict[str, Any]] = {"payment": {"sandbox_enabled": True}}


@pytest.mark.parametrize("service", SERVICES)
async def test_routes_need_a_token_unless_reviewed_as_public(
    service: str, pg_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    app = service_app(service, pg_url, kafka_bootstrap, tmp_path, **OPTIONS.get(service, {}))
    reviewed = {p.route: p for p in PUBLIC_ROUTES[service]}
    table = PublicRouteTable(default_public_routes())
    failures: list[str] = []
    async with serve_lifespan(app) as client:
        spec = (await client.get("/openapi.json")).json()
        found = operations(app, spec)
        for (method, template), path in sorted(found.items()):
            route = f"{method} {template}"
            if is_internal(template):
                continue  # never forwarded by the gateway
            resp = await client.request(method, path, **probe_body(spec, method, template))
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


async def test_the_sandbox_pay_url_is_the_gateways(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    """An order's pay_url opens through the gateway without a token, its form pays the order there, and the
    sandbox's merchant API is not forwarded (payment's adapter calls it directly)."""
    issuer = TestIssuer()
    gateway_port, payment_port = free_port(), free_port()
    gateway, payment = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{payment_port}"
    async with serve_on_port(issuer.jwks_app) as identity:
        trust = {"jwks_url": f"{identity}/jwks", "token_issuer": issuer.issuer, "token_audience": issuer.audience}
        app = service_app(
            "payment",
            pg_url,
            kafka_bootstrap,
            tmp_path,
            **trust,
            sandbox_enabled=True,
            notify_base_url=payment,
            sandbox_base_url=f"{payment}/sandbox-channel",
            public_base_url=f"{gateway}/api/payment",
            return_url=f"{gateway}/",
            sandbox_notify_backoff_seconds=0.05,
        )
        edge = create_gateway(GatewaySettings(upstreams={"payment": payment}, log_json=False, **trust))
        async with (
            serve_on_port(app, payment_port),
            serve_on_port(edge, gateway_port),
            httpx.AsyncClient(base_url=f"{gateway}/api/payment", timeout=30) as client,
        ):
            workflow = issuer.headers(
                "svc-workflow", kind="system", scopes=["payment.orders.write", "payment.orders.read"]
            )
            case = uuid.uuid4().hex[:12]
            fee = {
                "case_id": f"case-{case}",
                "application_id": f"app-{case}",
                "tracking_number": f"GX{case}",
                "item_code": "450100-ITEM-01",
                "applicant": {"subject": "citizen-1", "kind": "citizen"},
                "department": "gx-nn-market",
                "region": "450100",
                "lines": [{"code": "F01", "name": "工本费", "amount_fen": 1500, "legal_basis": "《收费标准》"}],
            }
            order = await client.post("/v1/orders", json=fee, headers={**workflow, "Idempotency-Key": case})
            assert order.status_code == 201, order.text
            citizen = issuer.headers("citizen-1", kind="citizen")
            started = await client.post(
                f"/v1/orders/{order.json()['id']}/payments", json={"channel": "sandbox"}, headers=citizen
            )
            assert started.status_code == 200, started.text
            pay_url = started.json()["pay_url"]
            assert pay_url.startswith(f"{gateway}/api/payment/sandbox-channel/pay/"), pay_url

            async with httpx.AsyncClient(timeout=30) as browser:  # the payer's browser: no token
                page = await browser.get(pay_url)
                assert page.status_code == 200 and "<form" in page.text, page.text
                action = re.search(r'<form method="post" action="([^"]+)"', page.text)
                assert action is not None
                done = await browser.post(urljoin(pay_url, html.unescape(action[1])), data={"action": "pay"})
            assert done.status_code == 303 and done.headers["location"] == f"{gateway}/", done.text

            async def paid() -> bool:
                got = await client.get(f"/v1/orders/{order.json()['id']}", headers=citizen)
                return bool(got.json()["status"] == "paid")

            await eventually(paid, "the order paid through the gateway's pay page", timeout=30)
            merchant_api = await client.post("/sandbox-channel/gateway/trade.query", json={}, headers=citizen)
            assert merchant_api.status_code == 404 and merchant_api.headers["content-type"] == PROBLEM
