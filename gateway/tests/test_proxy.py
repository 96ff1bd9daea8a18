"""The proxy against real upstreams on loopback ports (fixtures in conftest.py)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx

from gateway.main import create_app
from gateway.settings import GatewaySettings

PROBLEM = "application/problem+json"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def headers_of(echo: dict[str, Any]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for name, value in echo["headers"]:
        seen.setdefault(name, []).append(value)
    return seen


async def get_untraced(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """GET with aiohttp: httpx clients are traced in this process (gov_common instruments httpx), and
    would replace the traceparent a test sends."""
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        return body


def assert_problem(resp: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body: dict[str, Any] = resp.json()
    assert body["type"] == f"urn:gov-platform:problem:{slug}"
    assert body["status"] == status
    assert resp.headers["x-request-id"]
    return body


async def test_request_reaches_the_upstream_intact(platform, client: httpx.AsyncClient) -> None:
    token = platform.issuer.token("user-1")
    resp = await client.post(
        f"{platform.gateway}/api/alpha/v1/things/a%41b/c%20d?b=%20x&a=1&a=2&empty=&plus=a+b",
        content=b'{"hello": "world"}',
        headers={
            "Content-Type": "application/json",
            "X-Custom": "kept",
            "X-Request-ID": "caller-id-123",
            "Authorization": f"Bearer {token}",
            "Cookie": "session=s1",
            "X-Forwarded-For": "203.0.113.9",
            "traceparent": TRACEPARENT,
        },
    )
    assert resp.status_code == 200, resp.text
    echo = resp.json()
    assert echo["service"] == "alpha"
    assert echo["method"] == "POST"
    # Decoded once and sent in one encoding: the upstream decodes it to the path the edge checked.
    assert echo["raw_path"] == "/v1/things/aAb/c%20d"
    assert echo["path"] == "/v1/things/aAb/c d"
    assert echo["query"] == "b=%20x&a=1&a=2&empty=&plus=a+b"
    assert echo["body_head"] == '{"hello": "world"}'
    seen = headers_of(echo)
    assert seen["x-custom"] == ["kept"]
    assert seen["content-type"] == ["application/json"]
    assert seen["authorization"] == [f"Bearer {token}"], "the token goes on unchanged"
    assert seen["cookie"] == ["session=s1"]
    assert seen["host"] == [platform.alpha.removeprefix("http://")]
    assert seen["x-forwarded-host"] == [platform.gateway.removeprefix("http://")]
    assert seen["x-forwarded-proto"] == ["http"]
    # uvicorn trusts 127.0.0.1 as a proxy by default and takes the client from the header already;
    # the gateway sends that one address, never the caller's chain.
    assert seen["x-forwarded-for"] == ["203.0.113.9"]
    assert "traceparent" in seen
    # The gateway's client adds or replaces none of the caller's own headers.
    assert seen["user-agent"] == [client.headers["user-agent"]]
    assert seen["accept-encoding"] == [client.headers["accept-encoding"]]
    assert seen["accept"] == [client.headers["accept"]]
    assert echo["request_id"] == "caller-id-123"
    assert resp.headers["x-request-id"] == "caller-id-123"


async def test_trace_context_passes_unchanged_when_the_gateway_does_not_trace(platform) -> None:
    # No OTLP endpoint, so no spans of its own: the caller's context reaches the service as sent.
    echo = await get_untraced(f"{platform.gateway}/api/alpha/traced", {"traceparent": TRACEPARENT})
    assert headers_of(echo)["traceparent"] == [TRACEPARENT]


async def test_methods_and_empty_bodies(platform, client: httpx.AsyncClient) -> None:
    for method in ("GET", "DELETE", "PUT", "PATCH", "OPTIONS"):
        resp = await client.request(method, f"{platform.gateway}/api/beta/x")
        assert resp.status_code == 200, (method, resp.text)
        echo = resp.json()
        assert (echo["service"], echo["method"], echo["path"], echo["body_length"]) == ("beta", method, "/x", 0)
    head = await client.head(f"{platform.gateway}/api/beta/x")
    assert head.status_code == 200
    assert head.content == b""
    root = await client.get(f"{platform.gateway}/api/beta")
    assert root.json()["path"] == "/"


async def test_request_id_is_made_up_when_missing_or_malformed(platform, client: httpx.AsyncClient) -> None:
    for sent in ({}, {"X-Request-ID": "not valid / has spaces"}):
        resp = await client.get(f"{platform.gateway}/api/alpha/id", headers=sent)
        rid = resp.headers["x-request-id"]
        assert headers_of(resp.json())["x-forwarded-for"] == ["127.0.0.1"]
        assert rid and rid != "not valid / has spaces" and rid != "upstream-must-not-win"
        assert resp.json()["request_id"] == rid


async def test_hop_by_hop_headers_are_removed_both_ways(platform, client: httpx.AsyncClient) -> None:
    resp = await client.get(
        f"{platform.gateway}/api/alpha/hop",
        headers={
            "Connection": "keep-alive, X-Hop",
            "X-Hop": "named in Connection",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "Proxy-Connection": "keep-alive",
            "TE": "trailers",
            "Trailer": "X-Checksum",
            "Upgrade": "example/1",
            "X-End-To-End": "kept",
        },
    )
    seen = headers_of(resp.json())
    for name in ("x-hop", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade"):
        assert name not in seen, name
    assert seen.get("connection", ["keep-alive"]) == ["keep-alive"], "only aiohttp's own, if any"
    assert seen["x-end-to-end"] == ["kept"]

    resp = await client.get(f"{platform.gateway}/api/alpha/hop-response")
    assert resp.status_code == 200
    assert resp.headers["x-resp-kept"] == "kept"
    for name in ("x-resp-hop", "keep-alive", "proxy-authenticate"):
        assert name not in resp.headers, name
    assert len(resp.headers.get_list("date")) == 1
    assert len(resp.headers.get_list("server")) <= 1


async def test_large_body_with_content_length_streams_through(platform, client: httpx.AsyncClient) -> None:
    body = hashlib.sha256(b"seed").digest() * (6 * 1024 * 1024 // 32)  # 6 MiB
    resp = await client.put(f"{platform.gateway}/api/alpha/upload", content=body)
    echo = resp.json()
    assert echo["body_length"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert headers_of(echo)["content-length"] == [str(len(body))]


async def test_chunked_body_is_streamed_not_buffered(platform, client: httpx.AsyncClient) -> None:
    """The upstream gets the first chunk while the caller still holds back the rest."""
    probe = platform.probe
    probe.first_chunk.clear()
    chunk = b"0123456789abcdef" * 4096  # 64 KiB
    count = 64  # 4 MiB in all
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        digest.update(chunk)
        yield chunk
        # A buffering proxy would never let the upstream see this chunk before the body ends.
        await asyncio.wait_for(probe.first_chunk.wait(), timeout=5)
        for _ in range(count - 1):
            digest.update(chunk)
            yield chunk

    resp = await client.post(f"{platform.gateway}/api/alpha/stream-up", content=body())
    echo = resp.json()
    assert echo["body_length"] == len(chunk) * count
    assert echo["body_sha256"] == digest.hexdigest()
    seen = headers_of(echo)
    assert seen["transfer-encoding"] == ["chunked"]
    assert "content-length" not in seen


async def test_response_streams_back(platform, client: httpx.AsyncClient) -> None:
    started = time.perf_counter()
    async with client.stream("GET", f"{platform.gateway}/api/alpha/slow-stream") as resp:
        chunks = resp.aiter_raw()
        first = await anext(chunks)
        first_at = time.perf_counter() - started
        rest = b"".join([c async for c in chunks])
    assert first.startswith(b"first\n")
    assert first_at < 0.5, "the first chunk came only when the upstream was done"
    assert first + rest == b"first\nsecond\n"

    big = await client.get(f"{platform.gateway}/api/beta/big")
    assert big.content == platform.big_response
    assert big.headers["content-length"] == str(len(platform.big_response))


async def test_content_encoding_and_redirects_pass_through(platform, client: httpx.AsyncClient) -> None:
    async with client.stream("GET", f"{platform.gateway}/api/alpha/gzip") as resp:
        raw = b"".join([c async for c in resp.aiter_raw()])
    assert resp.headers["content-encoding"] == "gzip"
    assert raw == platform.gzipped

    redirect = await client.get(f"{platform.gateway}/api/alpha/redirect")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "/elsewhere"


async def test_down_upstream_is_502_at_once(platform, client: httpx.AsyncClient) -> None:
    started = time.perf_counter()
    resp = await client.get(f"{platform.gateway}/api/down/v1/anything")
    elapsed = time.perf_counter() - started
    body = assert_problem(resp, 502, "bad-gateway")
    assert body["upstream"] == "down"
    assert elapsed < 2


async def test_hung_upstream_is_504_within_the_timeout(platform, client: httpx.AsyncClient) -> None:
    started = time.perf_counter()
    resp = await client.post(f"{platform.gateway}/api/hung/v1/slow", content=b"x")
    elapsed = time.perf_counter() - started
    body = assert_problem(resp, 504, "gateway-timeout")
    assert body["upstream"] == "hung"
    assert 0.9 <= elapsed < 3, elapsed


async def test_unknown_service_and_other_routes_are_404(platform, client: httpx.AsyncClient) -> None:
    resp = await client.get(f"{platform.gateway}/api/nosuch/v1/items")
    assert assert_problem(resp, 404, "not-found")["upstream"] == "nosuch"
    for path in ("/elsewhere", "/api", "/api/", "/openapi.json"):
        assert_problem(await client.get(platform.gateway + path), 404, "not-found")


async def test_body_over_the_limit_is_413(platform, client: httpx.AsyncClient) -> None:
    limit = 1024 * 1024
    resp = await client.post(f"{platform.small_gateway}/api/alpha/upload", content=b"x" * (limit + 1))
    body = assert_problem(resp, 413, "payload-too-large")
    assert body["max_body_bytes"] == limit

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"y" * 65536

    resp = await client.post(f"{platform.small_gateway}/api/alpha/upload", content=chunked())
    assert_problem(resp, 413, "payload-too-large")

    # At the limit is fine.
    ok = await client.post(f"{platform.small_gateway}/api/alpha/upload", content=b"x" * limit)
    assert ok.json()["body_length"] == limit


async def test_health_and_readiness(platform, client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{platform.gateway}/healthz")).json() == {"status": "ok"}
    resp = await client.get(f"{platform.gateway}/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ready"
    assert body["upstreams"] == {"alpha": "ready", "beta": "ready", "hung": "down", "down": "down"}


async def test_many_concurrent_requests_share_the_pool(platform, client: httpx.AsyncClient) -> None:
    async def one(i: int) -> int:
        resp = await client.get(f"{platform.gateway}/api/beta/n/{i}")
        assert resp.json()["path"] == f"/n/{i}"
        return resp.status_code

    assert set(await asyncio.gather(*(one(i) for i in range(200)))) == {200}


async def test_a_tracing_gateway_becomes_the_parent_span(platform, serve, client: httpx.AsyncClient) -> None:
    settings = GatewaySettings(
        upstreams={"alpha": platform.alpha},
        public_routes={"alpha": ["* /{path:path}"]},
        trace_requests=True,
        log_json=False,
    )
    async with serve(create_app(settings)) as gateway:
        echo = await get_untraced(f"{gateway}/api/alpha/traced", {"traceparent": TRACEPARENT})
    (sent,) = headers_of(echo)["traceparent"]
    version, trace_id, parent_id, flags = sent.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01"), "same trace"
    assert parent_id != "00f067aa0ba902b7", "the gateway's own span is the parent"
