"""Issue 15, finding 4: the gateway must check, route and forward one and the same path.

``GET /api/catalog%2Fv1%2Fitems/openapi.json`` without a token was answered with the catalog's
``/openapi.json``: the public-route check ran on the decoded path (``/v1/items/openapi.json``, a public
item), the proxy forwarded the raw one (``/openapi.json``). The gateway here has the reviewed public-route
table and every service name; each upstream is one recording server, so any request that gets through
is seen. The operations are every service's own (its OpenAPI document, as the route-auth test reads it),
called with a corpus of path tricks, raw on the socket (HTTP clients would tidy the paths up first).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.main import create_app
from gateway.paths import encode
from gateway.public_routes import INTERNAL_PATHS, PublicRouteTable, default_public_routes
from gateway.settings import GatewaySettings
from gov_common.testing import SERVICES, TestIssuer, serve_on_port

PROBLEM = "application/problem+json"
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
_PARAM = re.compile(r"\{[^}]+\}")
TABLE = PublicRouteTable(default_public_routes())


def non_public_operations(tmp: Path) -> list[tuple[str, str, str]]:
    """(service, method, concrete path) of every operation of every service that needs a token, and
    each service's own OpenAPI document and docs page (never public through the gateway)."""
    found: list[tuple[str, str, str]] = []
    for service in SERVICES:
        settings = importlib.import_module(f"{service}.settings").Settings(data_dir=tmp, log_json=False)
        spec = importlib.import_module(f"{service}.main").create_app(settings).openapi()
        operations = {("GET", "/openapi.json"), ("GET", "/docs")}
        for template, item in spec["paths"].items():
            operations |= {(m.upper(), _PARAM.sub("X1", template)) for m in item if m.upper() in METHODS}
        found += [
            (service, method, path)
            for method, path in sorted(operations)
            if path not in INTERNAL_PATHS and not TABLE.is_public(service, method, path)
        ]
    return found


def decoys(service: str) -> list[str]:
    """Public paths of ``service`` a trick may dress a private one up as: its probe, and a public route
    with a parameter (the reported attack hid behind ``GET /v1/items/{code}``)."""
    patterns = [p for p in default_public_routes()[service] if p.startswith("GET ") and "{" in p]
    return ["/healthz", *(_PARAM.sub("X1", p.removeprefix("GET ")) for p in patterns[:1])]


def _hexed(segment: str) -> str:
    """The segment with its first letter percent-encoded in lower-case hex (same path once decoded)."""
    return f"%{ord(segment[0]):02x}{segment[1:]}" if segment else segment


def tricks(service: str, path: str) -> dict[str, str]:
    """Request targets (after ``/api``) that aim at ``path`` of ``service``, by name."""
    s, p, rest = service, path, path[1:]
    slashed = rest.replace("/", "%2F")
    out = {
        "plain": f"/{s}{p}",
        "trailing dot": f"/{s}{p}.",
        "trailing dot segment": f"/{s}{p}/.",
        "trailing dot-dot segment": f"/{s}{p}/..",
        "empty segment": f"/{s}//{rest}",
        "mixed-case escapes of plain letters": f"/{s}/" + "/".join(_hexed(seg) for seg in rest.split("/")),
        "escaped service name": f"/%{ord(s[0]):02X}{s[1:]}{p}",
        "encoded slash after the service": f"/{s}%2F{slashed}",
        "lower-case encoded slash": f"/{s}%2f{slashed}",
        "encoded slash at the end": f"/{s}{p}%2F",
        "NUL": f"/{s}{p}%00",
        "tab": f"/{s}{p}%09",
        "newline before the path": f"/{s}%0A{p}",
        "DEL": f"/{s}{p}%7F",
        "zero-width space": f"/{s}{p}%E2%80%8B",
    }
    for d in decoys(service):
        dd = d[1:].replace("/", "%2F")
        out |= {
            f"{d}: encoded slashes, decoy checked": f"/{s}%2F{dd}/{rest}",
            f"{d}: dot-dot": f"/{s}{d}/..{p}",
            f"{d}: encoded dot-dot": f"/{s}{d}/%2e%2e{p}",
            f"{d}: upper-case encoded dot-dot": f"/{s}{d}/%2E%2E{p}",
            f"{d}: half-encoded dot-dot": f"/{s}{d}/.%2e{p}",
            f"{d}: encoded slash and dot-dot": f"/{s}{d}%2F..%2F{slashed}",
            f"{d}: double-encoded slash": f"/{s}{d}%252F..%252F{slashed}",
            f"{d}: double-encoded dot-dot": f"/{s}{d}/%252e%252e{p}",
            f"{d}: encoded backslash": f"/{s}{d}%5C..%5C{rest}",
            f"{d}: raw backslash": f"/{s}{d}\\..\\{rest}",
            f"{d}: NUL then path": f"/{s}{d}%00{p}",
            f"{d}: semicolon parameter": f"/{s}{d};{p}",
            f"{d}: double slash": f"/{s}{d}/{p}",
            f"{d}: fullwidth solidus": f"/{s}{d}%EF%BC%8F..%EF%BC%8F{rest}",
            f"{d}: fullwidth full stops": f"/{s}{d}/%EF%BC%8E%EF%BC%8E{p}",
            f"{d}: two-dot leader": f"/{s}{d}/%E2%80%A5{p}",
            f"{d}: overlong UTF-8 slash": f"/{s}{d}%C0%AF..%C0%AF{rest}",
            f"{d}: malformed escape": f"/{s}{d}%2{p}",
        }
    return {name: "/api" + target for name, target in out.items()}


# Tricks that mean one path only, which is both checked and forwarded; every other is refused (400).
CONSISTENT = (
    "plain",
    "trailing dot",
    "mixed-case escapes of plain letters",
    "escaped service name",
    "semicolon parameter",
)


def consistent(name: str) -> bool:
    return name.rpartition(": ")[2] in CONSISTENT


@dataclass
class Recorder:
    """What reached an upstream: (method, decoded path, raw path)."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def record(request: Request) -> JSONResponse:
            path, raw = request.scope["path"], request.scope["raw_path"].decode("latin-1")
            self.seen.append((request.method, path, raw))
            return JSONResponse({"upstream": True, "path": path, "raw_path": raw})

        return Starlette(routes=[Route("/{path:path}", record, methods=list(METHODS))])


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes


async def send_raw(base: str, method: str, target: str, headers: dict[str, str] | None = None) -> Answer:
    """One request with ``target`` written on the wire exactly as given."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    request = (
        f"{method} {target} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 0\r\n{extra}Connection: close\r\n\r\n"
    )
    writer.write(request.encode("latin-1"))
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    return Answer(int(lines[0].split(" ")[1]), fields.get("content-type", ""), body)


@dataclass
class Edge:
    gateway: str
    recorder: Recorder
    issuer: TestIssuer


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[Edge]:
    """The gateway with the reviewed public table, every service name pointing at one recorder."""
    recorder, issuer = Recorder(), TestIssuer()
    async with serve_on_port(recorder.app()) as upstream, serve_on_port(issuer.jwks_app) as keys:
        settings = GatewaySettings(
            upstreams=dict.fromkeys(SERVICES, upstream),
            jwks_url=f"{keys}/jwks",
            token_issuer=issuer.issuer,
            token_audience=issuer.audience,
            rate_limit_per_address=0,
            rate_limit_per_client=0,
            log_json=False,
            log_level="WARNING",
        )
        async with serve_on_port(create_app(settings)) as gateway:
            yield Edge(gateway, recorder, issuer)


async def _bounded(calls: list[Callable[[], Any]], limit: int = 8) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Any]) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


async def test_the_reported_attack_is_refused(edge: Edge) -> None:
    """Attack: ``GET /api/catalog%2Fv1%2Fitems/openapi.json`` without a token. Answer: 400 problem+json
    (an encoded '/'), and nothing reaches the catalog."""
    edge.recorder.seen.clear()
    answer = await send_raw(edge.gateway, "GET", "/api/catalog%2Fv1%2Fitems/openapi.json")
    assert answer.status == 400, answer.body
    assert answer.content_type == PROBLEM
    assert b"invalid-path" in answer.body
    assert edge.recorder.seen == []


async def test_no_path_trick_reaches_a_non_public_operation_without_a_token(edge: Edge, tmp_path: Path) -> None:
    """Attack: every operation that needs a token, asked for without one through each trick of the corpus
    (encoded, double-encoded and look-alike slashes and dots, dot and empty segments, NUL and control
    characters, ;parameters, mixed-case escapes, public decoys in front). Answer: 401 for the paths that
    mean the operation itself, 400 problem+json for the ambiguous ones; no request reaches a service."""
    operations = non_public_operations(tmp_path)
    assert len({service for service, _, _ in operations}) == len(SERVICES)
    cases = [
        (service, method, name, target)
        for service, method, path in operations
        for name, target in tricks(service, path).items()
    ]
    edge.recorder.seen.clear()
    answers = await _bounded([lambda c=c: send_raw(edge.gateway, c[1], c[3]) for c in cases])
    wrong = []
    for (service, method, name, target), answer in zip(cases, answers, strict=True):
        expected = 401 if consistent(name) else 400
        # uvicorn's own parser refuses some raw bytes before the gateway: a 400 all the same.
        if answer.status != expected or (answer.content_type != PROBLEM and b"Invalid HTTP" not in answer.body):
            wrong.append(f"{method} {target} ({service}, {name}): {answer.status} {answer.body[:120]!r}")
    assert edge.recorder.seen == [], f"reached an upstream without a token: {edge.recorder.seen[:10]}"
    assert not wrong, f"{len(wrong)} of {len(cases)} answered wrongly:\n" + "\n".join(wrong[:40])


async def test_what_passes_reaches_exactly_the_path_that_was_checked(edge: Edge, tmp_path: Path) -> None:
    """Attack: the same corpus with a valid token, one operation of each service, looking for a request
    that the edge admits for one path and that the service receives as another. Answer: what is not
    refused (400) arrives decoded to exactly the path the edge decoded once, in one encoding."""
    headers = edge.issuer.headers("user-1")
    firsts: dict[str, tuple[str, str]] = {}
    for service, method, path in non_public_operations(tmp_path):
        firsts.setdefault(service, (method, path))
    cases = [
        (method, name, target)
        for service, (method, path) in firsts.items()
        for name, target in tricks(service, path).items()
    ]
    answers = await _bounded([lambda c=c: send_raw(edge.gateway, c[0], c[2], headers) for c in cases])
    wrong = []
    for (method, name, target), answer in zip(cases, answers, strict=True):
        if not consistent(name):
            if answer.status != 400:
                wrong.append(f"{method} {target} ({name}): {answer.status}, expected 400")
            continue
        checked = "/" + unquote(target.split("/", 3)[3])
        body = json.loads(answer.body) if answer.status == 200 else {}
        received = body.get("path")
        if received != checked or body.get("raw_path") != encode(checked):
            wrong.append(f"{method} {target} ({name}): checked /{checked}, upstream got {body or answer.status}")
    assert not wrong, "\n".join(wrong)
