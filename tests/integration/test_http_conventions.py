"""The HTTP conventions of README's "API conventions", checked over every operation of the gateway's merged
OpenAPI (all services) and, for what a document cannot show, by probes through a real gateway in front of
each service on PostgreSQL with its demo data.

A failure names the operation and the convention it breaks; the fix is in the service (or in
``gov_common.http`` when every service breaks it the same way).
"""

from __future__ import annotations

import importlib
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from gateway.main import create_app as create_gateway
from gateway.openapi import merge_documents
from gateway.settings import GatewaySettings
from gov_common.errors import PROBLEM_CONTENT_TYPE
from gov_common.http import OFFSET_PATTERN
from gov_common.service import demo_subject
from gov_common.testing import SERVICES, TestIssuer, fresh_pg_database, serve_on_port

METHODS = ("get", "put", "post", "delete", "patch")
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
# An RFC 3339 / ISO 8601 date-time as a JSON string (with or without its offset).
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_OFFSET = re.compile(OFFSET_PATTERN)
# Not resources: the probes, and documents whose shape a standard fixes (OIDC discovery, JWKS).
_OUTSIDE = re.compile(r"/(healthz|readyz)$")


def _app(service: str, **settings: Any) -> FastAPI:
    main = importlib.import_module(f"{service}.main")
    settings_cls = importlib.import_module(f"{service}.settings").Settings
    app: FastAPI = main.create_app(settings_cls(log_json=False, log_level="WARNING", **settings))
    return app


@cache
def _apps() -> dict[str, FastAPI]:
    folder = Path(tempfile.mkdtemp(prefix="http-conventions-"))
    return {service: _app(service, data_dir=folder / service) for service in SERVICES}


@cache
def merged() -> dict[str, Any]:
    """The gateway's merge of every service's document (built in-process; no database needed)."""
    return merge_documents({service: app.openapi() for service, app in _apps().items()})


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in merged()["paths"].items():
        for method, operation in item.items():
            if method in METHODS and not _OUTSIDE.search(path):
                yield method.upper(), path, operation


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    components = merged()["components"]["schemas"]
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _date_times(schema: Any, seen: frozenset[str] = frozenset(), at: str = "") -> Iterator[tuple[str, Any]]:
    """(where, schema) of every date-time inside ``schema``, references followed once."""
    if isinstance(schema, list):
        for item in schema:
            yield from _date_times(item, seen, at)
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            yield from _date_times(_resolve(schema), seen | {name}, name)
        return
    if schema.get("format") == "date-time":
        yield at, schema
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            for name, prop in value.items():
                yield from _date_times(prop, seen, f"{at}.{name}")
        elif isinstance(value, dict | list):
            yield from _date_times(value, seen, at)


def _json_schema(response: dict[str, Any]) -> dict[str, Any] | None:
    content = response.get("content") or {}
    media = content.get("application/json")
    return None if media is None else media.get("schema", {})


def _success(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for code, response in operation.get("responses", {}).items():
        if code.startswith("2"):
            yield code, response


def _untyped(schema: dict[str, Any]) -> bool:
    """An answer whose schema says nothing: ``{}``, or an object with neither properties nor a value schema."""
    schema = _resolve(schema)
    if not schema:
        return True
    if schema.get("type") == "object" or "properties" in schema:
        return not schema.get("properties") and not isinstance(schema.get("additionalProperties"), dict)
    return False


def _list_shape(schema: dict[str, Any]) -> str | None:
    """Why ``schema`` is not the one list shape (``{items: [...], next_cursor}``), or None."""
    schema = _resolve(schema)
    if schema.get("type") == "array":
        return "a bare array (lists answer {items, next_cursor})"
    items = (schema.get("properties") or {}).get("items")
    if isinstance(items, dict) and _resolve(items).get("type") == "array" and "next_cursor" not in schema["properties"]:
        return "{items} without next_cursor"
    return None


def test_every_operation_has_a_hand_written_summary() -> None:
    failures = []
    for service, app in _apps().items():
        for route in app.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema or _OUTSIDE.search(route.path):
                continue
            generated = route.name.replace("_", " ").title()
            if not route.summary or route.summary == generated:
                failures.append(f"{service} {sorted(route.methods)} {route.path}: summary {route.summary!r}")
    assert not failures, "give summary= or a docstring whose first line says what it does:\n" + "\n".join(failures)


def test_every_success_answer_has_a_schema() -> None:
    failures = [
        f"{method} {path} {code}"
        for method, path, operation in operations()
        for code, response in _success(operation)
        if (schema := _json_schema(response)) is not None and _untyped(schema)
    ]
    assert not failures, "untyped answers (give them a response model):\n" + "\n".join(failures)


def test_every_list_has_the_one_shape() -> None:
    failures = [
        f"{method} {path} {code}: {why}"
        for method, path, operation in operations()
        for code, response in _success(operation)
        if (schema := _json_schema(response)) is not None and (why := _list_shape(schema))
    ]
    assert not failures, "\n".join(failures)


def test_every_response_date_time_carries_its_offset() -> None:
    failures = sorted(
        {
            f"{method} {path} {code}: {where}"
            for method, path, operation in operations()
            for code, response in _success(operation)
            for where, schema in _date_times(_json_schema(response))
            if schema.get("pattern") != OFFSET_PATTERN
        }
    )
    assert not failures, "use gov_common.http.AwareDateTime in response schemas:\n" + "\n".join(failures)


def test_every_201_documents_its_location() -> None:
    failures = [
        f"{method} {path}"
        for method, path, operation in operations()
        if "201" in operation["responses"]
        and not (operation["responses"]["201"].get("headers") or {}).get("Location", {}).get("required")
    ]
    assert not failures, "\n".join(failures)


def test_idempotency_key_is_documented_as_the_operation_treats_it() -> None:
    """A create that needs Idempotency-Key says so (required); one that does not never calls it required."""
    failures = []
    for method, path, operation in operations():
        params = [p for p in operation.get("parameters", []) if p.get("name", "").lower() == "idempotency-key"]
        description = (operation.get("summary", "") + operation.get("description", "")).lower()
        says_required = "idempotency-key required" in description
        if params and says_required and not params[0].get("required"):
            failures.append(f"{method} {path}: its summary says required, its parameter is optional")
    assert not failures, "\n".join(failures)


# --- probes through a gateway -----------------------------------------------------------------------------

STAFF = {"roles": ("platform_admin",), "region": "450000"}


@asynccontextmanager
async def behind_gateway(service: str, admin_dsn: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """``service`` on a fresh PostgreSQL database with its demo data, trusting a test issuer, behind a real
    gateway; yields a client of the gateway's ``/api/<service>``."""
    issuer = TestIssuer()
    async with serve_on_port(issuer.jwks_app) as keys, fresh_pg_database(admin_dsn) as url:
        trust = {"jwks_url": f"{keys}/jwks", "token_issuer": issuer.issuer, "token_audience": issuer.audience}
        app = _app(service, data_dir=data_dir, database_url=url, demo_data=True, environment="test", **trust)
        issuer.install(app)
        async with serve_on_port(app) as upstream:
            # No rate limits: one caller probes every operation, more than a client's burst (test_route_auth
            # checks the limits).
            gateway = create_gateway(
                GatewaySettings(
                    upstreams={service: upstream},
                    log_json=False,
                    log_level="WARNING",
                    rate_limit_per_address=0,
                    rate_limit_per_client=0,
                    **trust,
                )
            )
            async with (
                serve_on_port(gateway) as base,
                httpx.AsyncClient(base_url=f"{base}/api/{service}", timeout=30) as client,
            ):
                client.headers.update(issuer.headers(demo_subject("zhangsan"), kind="citizen"))
                yield client


def _concrete(path: str, operation: dict[str, Any]) -> str:
    params = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])}

    def value(match: re.Match[str]) -> str:
        schema = params.get(match.group(1), {})
        return "00000000-0000-0000-0000-000000000001" if schema.get("format") == "uuid" else "1"

    return _PARAM.sub(value, path)


def _service_operations(service: str) -> Iterator[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, path template, public path, path under the service's prefix, operation) of ``service``."""
    prefix = f"/api/{service}"
    for method, template, operation in operations():
        if template.startswith(prefix + "/"):
            public = _concrete(template, operation)
            yield method, template, public, public[len(prefix) :], operation


def _date_time_strings(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        for value in body.values():
            yield from _date_time_strings(value)
    elif isinstance(body, list):
        for value in body:
            yield from _date_time_strings(value)
    elif isinstance(body, str) and _DATE_TIME.match(body):
        yield body


def _reads_json(operation: dict[str, Any]) -> bool:
    return "application/json" in ((operation.get("requestBody") or {}).get("content") or {})


@pytest.mark.parametrize("service", SERVICES)
async def test_probes_through_the_gateway(service: str, pg_admin_dsn: str, tmp_path: Path) -> None:
    """Malformed JSON is 400, a body of another content type 415, both problem+json naming the public path;
    every time a read answers carries its offset."""
    failures: list[str] = []
    async with behind_gateway(service, pg_admin_dsn, tmp_path) as client:
        for method, template, public, path, operation in _service_operations(service):
            if "requestBody" in operation:
                if _reads_json(operation):
                    bad = await client.request(
                        method, path, content=b'{"unterminated', headers={"Content-Type": "application/json"}
                    )
                    failures += _problem(f"{method} {public} malformed JSON", bad, 400, public)
                wrong = await client.request(method, path, content=b"x=1", headers={"Content-Type": "text/plain"})
                failures += _problem(f"{method} {public} text/plain", wrong, 415, public)
            if method == "GET" and public == template:
                answer = await client.get(path)
                if answer.headers.get("content-type", "").startswith("application/json"):
                    for moment in _date_time_strings(answer.json()):
                        if not _OFFSET.search(moment):
                            failures.append(f"GET {public}: {moment} has no offset")
                        else:
                            datetime.fromisoformat(moment)
    assert not failures, "\n".join(failures)


def _problem(what: str, response: httpx.Response, status: int, public: str) -> list[str]:
    if response.status_code != status:
        return [f"{what}: {response.status_code}, not {status}"]
    if response.headers.get("content-type") != PROBLEM_CONTENT_TYPE:
        return [f"{what}: {response.headers.get('content-type')}, not problem+json"]
    if response.json().get("instance") != public:
        return [f"{what}: instance {response.json().get('instance')!r}, not the public path"]
    return []
