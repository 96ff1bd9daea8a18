"""Real servers on loopback ports, in the test's event loop: echo upstreams, a hung one, a closed port,
and gateways in front of them."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.routing import Route

# pytest's importlib mode names this file "gateway.tests.conftest" (its path from the rootdir) and, to
# do so, imports the folder /work/main/gateway as a namespace package "gateway", which hides the real
# package (gateway/src/gateway). Drop that stand-in so that the imports below find the real one.
if getattr(sys.modules.get("gateway"), "__file__", None) is None:
    sys.modules.pop("gateway", None)

from gateway.main import create_app
from gateway.settings import GatewaySettings
from gov_common.auth import scoped
from gov_common.testing import TestIssuer, serve_on_port

GZIPPED = gzip.compress(b"compressed payload " * 100)
BIG_RESPONSE = bytes(range(256)) * (12 * 1024)  # 3 MiB


def serve_app(app: object) -> AbstractAsyncContextManager[str]:
    """Run ``app`` with uvicorn on a free loopback port until the block ends; yields its base URL."""
    return serve_on_port(app)


@pytest.fixture
def serve() -> Callable[[object], AbstractAsyncContextManager[str]]:
    """``async with serve(app) as base_url``: ``app`` on a free loopback port for the block."""
    return serve_app


def closed_port_url() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Item(BaseModel):
    name: str
    tags: list[str] = []


class ItemPage(BaseModel):
    items: list[Item]


@dataclass
class UploadProbe:
    """Lets a test see that the upstream got the first chunk of a body before the caller sent the rest."""

    first_chunk: asyncio.Event = field(default_factory=asyncio.Event)


def echo_app(name: str, probe: UploadProbe) -> FastAPI:
    """An upstream that tells what it received; also has typed routes for its OpenAPI."""
    app = FastAPI(title=f"{name} service", description=f"the {name} test upstream")

    @app.post("/v1/items", response_model=Item, operation_id="create_item")
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/v1/items", response_model=ItemPage, operation_id="list_items")
    async def list_items() -> ItemPage:
        return ItemPage(items=[])

    # Documents the platform's oauth2 scheme and its scope, as every service's scoped operations do.
    @app.delete(
        "/v1/items/{name}", status_code=204, operation_id="delete_item", dependencies=[scoped("catalog.items.write")]
    )
    async def delete_item(name: str) -> None:
        return None

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/gzip", include_in_schema=False)
    async def gzipped() -> Response:
        return Response(GZIPPED, media_type="text/plain", headers={"Content-Encoding": "gzip"})

    @app.get("/cached", include_in_schema=False)
    async def cached() -> Response:
        return Response(
            b"cacheable",
            headers={"Cache-Control": "public, max-age=60", "Content-Security-Policy": "default-src 'self'"},
        )

    @app.get("/redirect", include_in_schema=False)
    async def redirect() -> Response:
        return RedirectResponse("/elsewhere", status_code=307)

    @app.get("/big", include_in_schema=False)
    async def big() -> Response:
        return Response(BIG_RESPONSE, media_type="application/octet-stream")

    @app.get("/slow-stream", include_in_schema=False)
    async def slow_stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first\n"
            await asyncio.sleep(0.6)
            yield b"second\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/hop-response", include_in_schema=False)
    async def hop_response() -> Response:
        return Response(
            b"ok",
            headers={
                "Connection": "X-Resp-Hop",
                "X-Resp-Hop": "dropped",
                "Keep-Alive": "timeout=3",
                "Proxy-Authenticate": "Basic",
                "X-Resp-Kept": "kept",
            },
        )

    @app.api_route(
        "/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        include_in_schema=False,
    )
    async def echo(request: Request) -> JSONResponse:
        digest = hashlib.sha256()
        length = 0
        head = b""
        try:
            async for chunk in request.stream():
                if chunk and length == 0:
                    probe.first_chunk.set()
                digest.update(chunk)
                length += len(chunk)
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
        except ClientDisconnect:  # the gateway gave up on the body (over its limit)
            return JSONResponse({"disconnected": True}, status_code=499)
        return JSONResponse(
            {
                "service": name,
                "method": request.method,
                "path": request.scope["path"],
                "raw_path": request.scope["raw_path"].decode("latin-1"),
                "query": request.scope["query_string"].decode("latin-1"),
                "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]],
                "body_length": length,
                "body_sha256": digest.hexdigest(),
                "body_head": head.decode("latin-1"),
                "request_id": request.headers.get("x-request-id"),
            },
            headers={"X-Request-ID": "upstream-must-not-win"},
        )

    return app


def hung_app() -> Starlette:
    """An upstream that accepts the request and never answers in time."""

    async def sleep_forever(request: Request) -> Response:
        # Sleeps until the caller gives up (and closes the connection), for at most a minute.
        for _ in range(600):
            if await request.is_disconnected():
                break
            await asyncio.sleep(0.1)
        return Response(b"too late")

    return Starlette(routes=[Route("/{path:path}", sleep_forever, methods=["GET", "POST", "PUT", "DELETE", "HEAD"])])


# Every route of the test upstreams is public at the edge, so that the proxy tests need no tokens.
ALL_PUBLIC = ["* /{path:path}"]


@dataclass
class Platform:
    alpha: str
    beta: str
    hung: str
    down: str
    gateway: str
    small_gateway: str
    probe: UploadProbe
    issuer: TestIssuer
    jwks_url: str
    gzipped: bytes = GZIPPED
    big_response: bytes = BIG_RESPONSE


@pytest_asyncio.fixture(scope="session")
async def platform() -> AsyncIterator[Platform]:
    probe = UploadProbe()
    down = closed_port_url()
    issuer = TestIssuer()
    async with (
        serve_app(echo_app("alpha", probe)) as alpha,
        serve_app(echo_app("beta", probe)) as beta,
        serve_app(hung_app()) as hung,
        serve_app(issuer.jwks_app) as identity,
    ):
        upstreams = {"alpha": alpha, "beta": beta, "hung": hung, "down": down}
        settings = GatewaySettings(
            upstreams=upstreams,
            jwks_url=f"{identity}/jwks",
            token_issuer=issuer.issuer,
            token_audience=issuer.audience,
            public_routes={name: ALL_PUBLIC for name in upstreams},
            rate_limit_per_address=0,
            rate_limit_per_client=0,
            upstream_timeout_seconds=1.0,
            connect_timeout_seconds=1.0,
            max_body_bytes=16 * 1024 * 1024,
            openapi_fetch_timeout_seconds=0.5,
            openapi_cache_seconds=0,
            log_json=False,
            log_level="WARNING",
        )
        small = settings.model_copy(update={"max_body_bytes": 1024 * 1024})
        async with serve_app(create_app(settings)) as gateway, serve_app(create_app(small)) as small_gateway:
            yield Platform(alpha, beta, hung, down, gateway, small_gateway, probe, issuer, f"{identity}/jwks")


@pytest_asyncio.fixture(scope="session")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http
