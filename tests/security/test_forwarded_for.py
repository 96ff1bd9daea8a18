"""Issue 15, finding 5: a caller must not choose the address the services see.

The gateway and a service run the way ``make run`` starts them: uvicorn with the launcher's own
forwarding flags (scripts/run.py ``forwarding_args``), the gateway's settings otherwise as in the gateway
tests. The service here reports the client address it sees (``request.client``, what identity's
per-address lockout, its audit ``source_address`` and the services' public rate limits use) and the
forwarding headers it got.
"""

from __future__ import annotations

import runpy
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from uvicorn.main import main as uvicorn_cli

from gateway.main import create_app
from gateway.settings import GatewaySettings
from gov_common.testing import serve_on_port

ROOT = Path(__file__).resolve().parents[2]
forwarding_args: Callable[[str, str], list[str]] = runpy.run_path(str(ROOT / "scripts/run.py"))["forwarding_args"]
FORGED = "203.0.113.77"
PROBLEM = "application/problem+json"


def launcher_options(name: str) -> dict[str, Any]:
    """The uvicorn options scripts/run.py gives process ``name`` (on its default host, 127.0.0.1)."""
    params = uvicorn_cli.make_context("uvicorn", ["app:x", *forwarding_args(name, "127.0.0.1")]).params
    return {"proxy_headers": params["proxy_headers"], "forwarded_allow_ips": params["forwarded_allow_ips"]}


async def who_am_i(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "client": request.client.host if request.client else None,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]],
        }
    )


SERVICE = Starlette(routes=[Route("/{path:path}", who_am_i, methods=["GET", "POST"])])


@asynccontextmanager
async def platform(gateway_options: dict[str, Any], **settings: Any) -> AsyncIterator[str]:
    """A service as make run starts it, and a gateway in front of it with ``gateway_options`` for uvicorn;
    yields the gateway's base URL."""
    async with serve_on_port(SERVICE, **launcher_options("identity")) as service:
        gateway_settings = GatewaySettings(
            upstreams={"identity": service},
            public_routes={"identity": ["* /{path:path}"]},
            jwks_url=f"{service}/jwks",
            rate_limit_per_client=0,
            log_json=False,
            log_level="WARNING",
            **{"rate_limit_per_address": 0, **settings},
        )
        async with serve_on_port(create_app(gateway_settings), **gateway_options) as gateway:
            yield gateway


def as_make_run(**settings: Any) -> AbstractAsyncContextManager[str]:
    return platform(launcher_options("gateway"), **settings)


def headers_named(body: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in body["headers"] if k == name]


FORGERIES = [
    pytest.param({"X-Forwarded-For": f"127.0.0.1, {FORGED}"}, id="xff-own-ip-then-forged"),
    pytest.param({"X-Forwarded-For": FORGED}, id="xff-forged"),
    pytest.param([("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-For", FORGED)], id="xff-twice"),
    pytest.param({"X-Real-IP": FORGED}, id="x-real-ip"),
    pytest.param({"Forwarded": f'for="{FORGED}";proto=https'}, id="forwarded"),
    pytest.param({"X-Forwarded-For": f"{FORGED}, 127.0.0.1", "X-Forwarded-Proto": "https"}, id="xff-and-proto"),
]


@pytest.mark.parametrize("forged", FORGERIES)
async def test_a_forged_forwarding_header_does_not_change_the_address_a_service_sees(forged: Any) -> None:
    """Attack: send a forwarding header naming 203.0.113.77 through the gateway of make run.
    Answer: the service still sees the caller's own address (127.0.0.1), the gateway sends it one
    X-Forwarded-For naming that address only, and none of the caller's claims reach it."""
    async with as_make_run() as gateway, httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(f"{gateway}/api/identity/login", headers=forged)
    assert resp.status_code == 200, resp.text
    seen = resp.json()
    assert seen["client"] == "127.0.0.1"
    assert headers_named(seen, "x-forwarded-for") == ["127.0.0.1"]
    assert headers_named(seen, "x-forwarded-proto") == ["http"]
    assert headers_named(seen, "x-real-ip") == []
    assert headers_named(seen, "forwarded") == []


async def test_the_per_address_rate_limit_cannot_be_escaped_by_rotating_a_forged_header() -> None:
    """Attack: spend the gateway's per-address budget, then send each further request with another
    forged X-Forwarded-For / X-Real-IP / Forwarded address. Answer: 429 all the same (the budget is the
    caller's real address)."""
    async with (
        as_make_run(rate_limit_per_address=0.01, rate_limit_address_burst=3) as gateway,
        httpx.AsyncClient(timeout=10) as client,
    ):
        for _ in range(3):
            assert (await client.get(f"{gateway}/api/identity/v1/x")).status_code == 200
        for i in range(1, 10):
            address = f"198.51.100.{i}"
            forged = {"X-Forwarded-For": address, "X-Real-IP": address, "Forwarded": f"for={address}"}
            resp = await client.get(f"{gateway}/api/identity/v1/x", headers=forged)
            assert resp.status_code == 429, (address, resp.text)
            assert resp.headers["content-type"] == PROBLEM
            assert resp.json()["limit"] == "address"


async def test_behind_a_trusted_proxy_the_service_gets_one_address_not_the_callers_chain() -> None:
    """Attack: behind a proxy the gateway trusts (its --forwarded-allow-ips, here loopback as for an
    ingress), send ``X-Forwarded-For: 198.51.100.1, 203.0.113.77`` hoping a service picks another hop.
    Answer: the gateway takes the right-most address its proxy did not vouch for and sends only that."""
    behind_ingress = {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
    async with platform(behind_ingress) as gateway, httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(
            f"{gateway}/api/identity/v1/x",
            headers={"X-Forwarded-For": f"198.51.100.1, {FORGED}", "X-Real-IP": "198.51.100.1"},
        )
    seen = resp.json()
    assert seen["client"] == FORGED, "the address the trusted proxy vouched for"
    assert headers_named(seen, "x-forwarded-for") == [FORGED], "overwritten, never the chain"
    assert headers_named(seen, "x-real-ip") == []


def test_make_run_services_believe_the_gateway_only() -> None:
    """Attack: reach a service with a forged header from anywhere but the gateway. Answer: make run's
    services trust forwarding headers from the gateway's address alone, and the gateway from no one."""
    assert launcher_options("gateway")["proxy_headers"] is False
    for service in ("identity", "catalog", "payment"):
        assert launcher_options(service) == {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
    assert forwarding_args("catalog", "0.0.0.0")[-1] == "127.0.0.1"
    assert forwarding_args("catalog", "192.0.2.10")[-1] == "192.0.2.10", "the gateway's own address"
