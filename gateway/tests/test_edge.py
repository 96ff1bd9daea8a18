"""The edge in front of real upstreams: tokens, public routes, rate limits, the circuit breaker, retries,
the deadline, CORS and security headers (fixtures in conftest.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.auth import EdgeAuth
from gateway.limits import CircuitBreaker, TokenBuckets
from gateway.main import create_app
from gateway.public_routes import PublicRouteTable
from gateway.settings import GatewaySettings
from gov_common.auth import TokenVerifier
from gov_common.requestid import access_log
from gov_common.testing import TcpProxy

PROBLEM = "application/problem+json"
Serve = Callable[[object], AbstractAsyncContextManager[str]]


@dataclass
class Flaky:
    """An upstream that answers ``fail_status`` while ``failing`` (or for the next ``fail_next`` requests)."""

    failing: bool = False
    fail_next: int = 0
    fail_status: int = 503
    requests: int = 0

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            self.requests += 1
            if self.failing or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                return Response(b"upstream trouble", status_code=self.fail_status)
            return JSONResponse({"method": request.method, "path": request.url.path})

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "HEAD", "OPTIONS"])])


class DroppingProxy(TcpProxy):
    """Forwards to a server, but closes the first ``drop`` connections at once (no response at all)."""

    def __init__(self, host: str, port: int, drop: int) -> None:
        super().__init__(host, port)
        self.drop = drop
        self.connections = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.drop > 0:
            self.drop -= 1
            writer.transport.abort()
            return
        await super()._handle(reader, writer)


@asynccontextmanager
async def gateway(serve: Serve, platform: Any, upstreams: dict[str, str], **overrides: Any) -> AsyncIterator[str]:
    """A gateway trusting the test issuer, with only what ``overrides`` sets public."""
    options: dict[str, Any] = {
        "upstreams": upstreams,
        "jwks_url": platform.jwks_url,
        "token_issuer": platform.issuer.issuer,
        "token_audience": platform.issuer.audience,
        "public_routes": {},
        "rate_limit_per_address": 0,
        "rate_limit_per_client": 0,
        "log_json": False,
        "log_level": "WARNING",
        "upstream_timeout_seconds": 5,
        "retry_backoff_seconds": 0.01,
    }
    options.update(overrides)
    async with serve(create_app(GatewaySettings(**options))) as base:
        yield base


def assert_problem(resp: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body: dict[str, Any] = resp.json()
    assert body["type"] == f"urn:gov-platform:problem:{slug}"
    return body


async def test_tokens_are_checked_at_the_edge(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    issuer = platform.issuer
    public = {"alpha": ["GET /public/{name}"]}
    async with gateway(serve, platform, {"alpha": platform.alpha}, public_routes=public) as gw:
        missing = await client.get(f"{gw}/api/alpha/private")
        assert_problem(missing, 401, "unauthenticated")
        assert missing.headers["www-authenticate"] == 'Bearer realm="gov-platform"'

        forged = issuer.token("user-1", key=ECKey.generate_key("P-256", private=True))
        bad = {
            "garbage": "not-a-jwt",
            "forged": forged,
            "expired": issuer.token("user-1", ttl_seconds=-120),
            "other audience": issuer.token("user-1", aud="someone-else"),
            "other issuer": issuer.token("user-1", iss="https://evil.example/api/identity"),
        }
        for why, token in bad.items():
            for path in ("/private", "/public/x"):
                resp = await client.get(f"{gw}/api/alpha{path}", headers={"Authorization": f"Bearer {token}"})
                assert_problem(resp, 401, "unauthenticated")
                assert 'error="invalid_token"' in resp.headers["www-authenticate"], why

        # A public route needs no token, and HEAD goes with GET; other methods on it do need one.
        assert (await client.get(f"{gw}/api/alpha/public/x")).status_code == 200
        assert (await client.head(f"{gw}/api/alpha/public/x")).status_code == 200
        assert_problem(await client.post(f"{gw}/api/alpha/public/x"), 401, "unauthenticated")
        assert_problem(await client.get(f"{gw}/api/alpha/public/x/deeper"), 401, "unauthenticated")
        # Basic credentials are not a bearer token.
        basic = await client.get(f"{gw}/api/alpha/private", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert_problem(basic, 401, "unauthenticated")

        token = issuer.token("user-7", client_id="portal")
        ok = await client.get(f"{gw}/api/alpha/private", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert dict(ok.json()["headers"])["authorization"] == f"Bearer {token}", "forwarded unchanged"


async def test_signing_keys_unavailable_is_503(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    down = "http://127.0.0.1:9/jwks"
    async with gateway(serve, platform, {"alpha": platform.alpha}, jwks_url=down) as gw:
        resp = await client.get(f"{gw}/api/alpha/x", headers=platform.issuer.headers())
    assert_problem(resp, 503, "service-unavailable")


async def test_access_log_names_the_caller_never_the_token(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    access_log.addHandler(handler)
    try:
        async with gateway(serve, platform, {"alpha": platform.alpha}, log_level="INFO") as gw:
            token = platform.issuer.token("user-42", client_id="portal")
            resp = await client.get(f"{gw}/api/alpha/logged", headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 200
    finally:
        access_log.removeHandler(handler)
    (record,) = [r for r in records if "/api/alpha/logged" in r.getMessage()]
    assert (record.subject, record.client_id) == ("user-42", "portal")
    assert all(token not in str(value) for value in vars(record).values())


async def test_verified_tokens_are_cached_until_they_expire_and_the_cache_is_bounded(platform) -> None:
    calls: list[str] = []

    class Counting(TokenVerifier):
        async def _verify(self, token: str) -> dict[str, Any]:
            calls.append(token)
            return await super()._verify(token)

    base = platform.issuer.verifier()
    auth = EdgeAuth(Counting(base.jwks, issuer=base.issuer, audience=base.audience, cache_seconds=60, cache_size=2))
    first, second, third = (platform.issuer.token(f"user-{i}") for i in range(3))
    assert (await auth.principal(first)).subject == "user-0"
    assert (await auth.principal(first)).subject == "user-0"
    assert calls == [first], "the second use came from the cache"
    await auth.principal(second)
    await auth.principal(third)  # the cache is full: the oldest entry goes
    await auth.principal(third)
    await auth.principal(first)
    assert calls == [first, second, third, first]

    short = platform.issuer.token("user-9", ttl_seconds=1)
    await auth.principal(short)
    await asyncio.sleep(1.2)
    await auth.principal(short)  # past exp (within the verifier's leeway): verified again, not cached
    assert calls[-2:] == [short, short]


async def test_rate_limits_per_client_and_per_address(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    public = {"alpha": ["GET /public"]}
    upstreams = {"alpha": platform.alpha}
    async with gateway(
        serve, platform, upstreams, rate_limit_per_client=0.5, rate_limit_client_burst=2, public_routes=public
    ) as gw:
        # Two people signed in through the same web client have a budget each.
        mine = platform.issuer.headers("user-a", client_id="web")
        theirs = platform.issuer.headers("user-b", client_id="web")
        assert [(await client.get(f"{gw}/api/alpha/x", headers=mine)).status_code for _ in range(2)] == [200, 200]
        limited = await client.get(f"{gw}/api/alpha/x", headers=mine)
        body = assert_problem(limited, 429, "too-many-requests")
        assert body["limit"] == "client"
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["ratelimit-limit"] == "2"
        assert limited.headers["ratelimit-remaining"] == "0"
        assert (await client.get(f"{gw}/api/alpha/x", headers=theirs)).status_code == 200, "another client"
        assert (await client.get(f"{gw}/api/alpha/public")).status_code == 200, "anonymous is not this client"
        # A system's tokens (client credentials) share its client's budget, whatever their subject.
        system = [platform.issuer.headers(f"svc-{n}", kind="system", client_id="city-a") for n in range(3)]
        assert [(await client.get(f"{gw}/api/alpha/x", headers=h)).status_code for h in system] == [200, 200, 429]

    async with gateway(
        serve, platform, upstreams, rate_limit_per_address=2, rate_limit_address_burst=3, public_routes=public
    ) as gw:
        statuses = [(await client.get(f"{gw}/api/alpha/public")).status_code for _ in range(4)]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3] == 429
        for _ in range(5):  # probes are never limited
            assert (await client.get(f"{gw}/healthz")).status_code == 200
            assert (await client.get(f"{gw}/api/alpha/readyz")).status_code != 429
        await asyncio.sleep(1.1)
        assert (await client.get(f"{gw}/api/alpha/public")).status_code == 200, "refilled"


async def test_breaker_opens_on_failures_and_closes_after_a_good_trial(
    platform, serve: Serve, client: httpx.AsyncClient
) -> None:
    flaky = Flaky(failing=True)
    async with (
        serve(flaky.app()) as upstream,
        gateway(
            serve,
            platform,
            {"flaky": upstream},
            public_routes={"flaky": ["* /{path:path}"]},
            breaker_failure_threshold=3,
            breaker_open_seconds=1.0,
        ) as gw,
    ):
        for _ in range(3):  # POST: never retried, so one upstream request each
            assert (await client.post(f"{gw}/api/flaky/x")).status_code == 503
        assert flaky.requests == 3
        started = time.perf_counter()
        refused = await client.post(f"{gw}/api/flaky/x")
        assert time.perf_counter() - started < 0.5
        body = assert_problem(refused, 503, "service-unavailable")
        assert body["upstream"] == "flaky"
        assert refused.headers["retry-after"] == "1"
        assert flaky.requests == 3, "the open breaker kept it from the upstream"

        await asyncio.sleep(1.1)  # half-open: a failing trial opens it again
        assert (await client.post(f"{gw}/api/flaky/x")).status_code == 503
        assert flaky.requests == 4
        assert_problem(await client.post(f"{gw}/api/flaky/x"), 503, "service-unavailable")
        assert flaky.requests == 4

        flaky.failing = False
        await asyncio.sleep(1.1)  # a good trial closes it
        assert (await client.post(f"{gw}/api/flaky/x")).status_code == 200
        assert [(await client.post(f"{gw}/api/flaky/x")).status_code for _ in range(3)] == [200, 200, 200]
        assert flaky.requests == 8


def test_breaker_state_machine() -> None:
    breaker = CircuitBreaker(threshold=2, open_seconds=60)
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.check() == 0, "failures must be consecutive"
    breaker.failed()
    assert breaker.state == "open"
    assert 59 < breaker.check() <= 60
    breaker.open_seconds = 0.0
    assert breaker.check() == 0
    assert breaker.state == "half-open"
    breaker.open_seconds = 60
    assert breaker.check() > 0, "one trial at a time"
    breaker.abandoned()
    assert breaker.check() == 0, "a trial without a verdict lets the next one through"
    breaker.succeeded()
    assert breaker.state == "closed"


async def test_reads_are_retried_writes_never(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    flaky = Flaky()
    async with (
        serve(flaky.app()) as upstream,
        gateway(serve, platform, {"flaky": upstream}, public_routes={"flaky": ["* /{path:path}"]}) as gw,
    ):
        flaky.fail_next, flaky.fail_status = 2, 502
        assert (await client.get(f"{gw}/api/flaky/read")).status_code == 200
        assert flaky.requests == 3, "two retries"

        flaky.requests, flaky.fail_next, flaky.fail_status = 0, 5, 503
        assert (await client.get(f"{gw}/api/flaky/read")).status_code == 503, "attempts are bounded"
        assert flaky.requests == 3

        flaky.requests, flaky.fail_next = 0, 1
        assert (await client.post(f"{gw}/api/flaky/write", content=b"{}")).status_code == 503
        assert flaky.requests == 1, "a POST is sent once"

        flaky.requests, flaky.fail_next, flaky.fail_status = 0, 1, 504
        assert (await client.get(f"{gw}/api/flaky/read")).status_code == 504, "504 is not retried"
        assert flaky.requests == 1

    # Connections dropped before any response.
    host, port = platform.alpha.removeprefix("http://").split(":")
    dropping = DroppingProxy(host, int(port), drop=1)
    await dropping.start()
    try:
        upstreams = {"alpha": f"http://127.0.0.1:{dropping.port}"}
        public = {"alpha": ["* /{path:path}"]}
        async with gateway(serve, platform, upstreams, public_routes=public) as gw:
            assert (await client.get(f"{gw}/api/alpha/read")).json()["method"] == "GET"
            assert dropping.connections == 2
        dropping.drop = 1
        async with gateway(serve, platform, upstreams, public_routes=public) as gw:  # no pooled connection
            assert_problem(await client.post(f"{gw}/api/alpha/write", content=b"x"), 502, "bad-gateway")
            assert dropping.connections == 3
    finally:
        await dropping.cut()


async def test_total_deadline(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    async with gateway(
        serve,
        platform,
        {"hung": platform.hung},
        public_routes={"hung": ["GET /{path:path}"]},
        request_deadline_seconds=0.5,
    ) as gw:
        started = time.perf_counter()
        resp = await client.get(f"{gw}/api/hung/slow")
        elapsed = time.perf_counter() - started
    assert_problem(resp, 504, "gateway-timeout")
    assert 0.4 <= elapsed < 3, elapsed


async def test_cors_only_for_configured_origins(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    allowed = "https://zwfw.example.gov.cn"
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    upstreams = {"alpha": platform.alpha}
    async with gateway(serve, platform, upstreams, cors_origins=[allowed]) as gw:
        ok = await client.options(f"{gw}/api/alpha/v1/items", headers={"Origin": allowed, **preflight})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == allowed
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()

        other = await client.options(
            f"{gw}/api/alpha/v1/items", headers={"Origin": "https://evil.example", **preflight}
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers

        actual = await client.get(f"{gw}/api/alpha/x", headers={"Origin": allowed, **platform.issuer.headers()})
        assert actual.headers["access-control-allow-origin"] == allowed
        exposed = actual.headers["access-control-expose-headers"].lower()
        for name in ("x-request-id", "location", "retry-after", "etag", "idempotent-replayed"):
            assert name in exposed

    async with gateway(serve, platform, upstreams) as gw:
        none = await client.options(f"{gw}/api/alpha/v1/items", headers={"Origin": allowed, **preflight})
        assert none.status_code == 401, "no CORS configured: a preflight is just an unauthenticated OPTIONS"
        assert "access-control-allow-origin" not in none.headers


async def test_security_headers_on_every_response(platform, serve: Serve, client: httpx.AsyncClient) -> None:
    public = {"alpha": ["GET /public", "GET /cached"]}
    async with gateway(serve, platform, {"alpha": platform.alpha}, public_routes=public) as gw:
        anonymous = await client.get(f"{gw}/api/alpha/public")
        refused = await client.get(f"{gw}/api/alpha/private")
        own = await client.get(f"{gw}/healthz")
        for resp in (anonymous, refused, own):
            assert resp.headers["x-content-type-options"] == "nosniff"
            assert resp.headers["referrer-policy"] == "no-referrer"
            assert resp.headers["x-frame-options"] == "DENY"
            assert resp.headers["content-security-policy"] == "frame-ancestors 'none'"
            assert "strict-transport-security" not in resp.headers
        assert "cache-control" not in anonymous.headers

        authenticated = await client.get(f"{gw}/api/alpha/private", headers=platform.issuer.headers())
        assert authenticated.headers["cache-control"] == "no-store"

        cached = await client.get(f"{gw}/api/alpha/cached", headers=platform.issuer.headers())
        assert cached.headers["cache-control"] == "public, max-age=60", "the upstream's own choice stays"
        assert cached.headers.get_list("content-security-policy") == ["default-src 'self'"]
        assert "x-frame-options" not in cached.headers

        # uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (its default --forwarded-allow-ips).
        https = await client.get(f"{gw}/api/alpha/public", headers={"X-Forwarded-Proto": "https"})
        assert https.headers["strict-transport-security"] == "max-age=31536000"


def test_public_route_table() -> None:
    table = PublicRouteTable(
        {"svc": ["GET /v1/items", "GET /v1/items/{code}", "POST /v1/items/{code}/check", "* /files/{rest:path}"]}
    )
    assert table.is_public("svc", "GET", "/v1/items")
    assert table.is_public("svc", "HEAD", "/v1/items/A1")
    assert table.is_public("svc", "POST", "/v1/items/A1/check")
    assert table.is_public("svc", "DELETE", "/files/a/b/c")
    assert not table.is_public("svc", "POST", "/v1/items")
    assert not table.is_public("svc", "GET", "/v1/items/")
    assert not table.is_public("svc", "GET", "/v1/items/A1/secret")
    assert not table.is_public("svc", "GET", "/v1/itemsX")
    assert not table.is_public("other", "GET", "/v1/items")


@pytest.mark.parametrize("route", ["/v1/items", "GET v1/items", "GET"])
def test_malformed_public_routes_are_refused(route: str) -> None:
    with pytest.raises(ValueError):
        GatewaySettings(public_routes={"svc": [route]})


def test_token_buckets() -> None:
    buckets = TokenBuckets(rate=1, burst=2, max_keys=2)
    assert [buckets.take("a"), buckets.take("a")] == [0, 0]
    assert 0 < buckets.take("a") <= 1
    assert buckets.take("b") == 0
    assert buckets.take("c") == 0, "a new key when full evicts instead of refusing"
    assert buckets.take("a") == 0, "the oldest bucket was forgotten (it starts full again)"


def _count(text: str, route: str, status_class: str) -> float:
    """The request count of one series in Prometheus text (0 when absent)."""
    prefix = "gov_http_server_request_duration_seconds_count{"
    for line in text.splitlines():
        if line.startswith(prefix) and f'route="{route}"' in line and f'status_class="{status_class}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_answers_by_upstream_and_hide_from_forwarded_requests(
    platform, serve: Serve, client: httpx.AsyncClient
) -> None:
    public = {"alpha": ["GET /public"]}
    async with gateway(serve, platform, {"alpha": platform.alpha}, public_routes=public) as gw:
        before = (await client.get(f"{gw}/metrics")).text
        for _ in range(3):
            assert (await client.get(f"{gw}/api/alpha/public")).status_code == 200
        assert (await client.get(f"{gw}/api/alpha/private")).status_code == 401  # refused at the edge: counted
        assert (await client.get(f"{gw}/api/alpha/x/1234567890")).status_code == 401
        after = await client.get(f"{gw}/metrics")
        assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
        assert _count(after.text, "/api/alpha", "2xx") - _count(before, "/api/alpha", "2xx") == 3
        assert _count(after.text, "/api/alpha", "4xx") - _count(before, "/api/alpha", "4xx") == 2
        assert "/api/alpha/x" not in after.text, "paths are not labels: the series stay few"
        through_ingress = await client.get(f"{gw}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert_problem(through_ingress, 404, "not-found")
