"""Property-based API tests (schemathesis) of every service against its own OpenAPI, on real PostgreSQL with
the demo data loaded: valid and invalid requests, sent as a caller the operation admits, never get a 5xx;
every error is problem+json; statuses, content types and bodies are the documented ones.

Each service runs with uvicorn on a loopback port in a thread of its own (its own event loop), because
schemathesis drives the requests synchronously from the test. Generation is derandomized, so a failure
found here is found again in CI.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gov_common.auth import current_principal, optional_principal
from gov_common.errors import PROBLEM_CONTENT_TYPE
from gov_common.scopes import CATALOGUE
from gov_common.service import demo_subject
from gov_common.testing import SERVICES, TestIssuer, fresh_pg_database, serve_on_port
from identity.demo import CITY_CLIENT_ID, ENTERPRISE_CODE
from identity.policy import ROLES

# schemathesis' own strategies draw from `random`, which Hypothesis deprecates; nothing of ours does.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

PROVINCE = "450000"
PROVINCE_MARKET_REGULATION = "11450000MBDT9P36QH"  # a department of identity's demo data


@dataclass(frozen=True)
class Caller:
    """A principal of the cast: one of each kind, holding every role and scope the platform knows."""

    kind: str
    claims: dict[str, Any] = field(default_factory=dict)


STAFF_ROLES = tuple(sorted(ROLES))
SCOPES = tuple(sorted(CATALOGUE))  # every scope the platform checks
CAST = (
    Caller(
        "staff",
        {
            "subject": demo_subject("fuzz-staff"),
            "roles": STAFF_ROLES,
            "region": PROVINCE,
            "department": PROVINCE_MARKET_REGULATION,
        },
    ),
    Caller("citizen", {"subject": demo_subject("zhangsan")}),
    Caller("enterprise", {"subject": demo_subject("wangwu"), "scopes": SCOPES, "enterprise": ENTERPRISE_CODE}),
    Caller("system", {"subject": CITY_CLIENT_ID, "scopes": SCOPES, "client_id": CITY_CLIENT_ID, "region": "450100"}),
)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def callers_by_operation(service: str) -> dict[tuple[str, str], tuple[Caller | None, ...]]:
    """Who may call each operation of ``service``, read from its dependencies: nobody (``None``) for a public
    one, the kinds a ``require(kinds=...)`` names, else every kind (the handler decides); anonymous too where
    a token is optional."""
    out: dict[tuple[str, str], tuple[Caller | None, ...]] = {}
    routers = importlib.import_module(f"{service}.main").SPEC.routers
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        calls = list(_calls(route.dependant))
        kinds = {c.kind for c in CAST}
        for call in calls:
            if getattr(call, "__qualname__", "") == "require.<locals>.dependency":
                kinds &= set(inspect.getclosurevars(call).nonlocals["kinds"] or kinds)
        callers: tuple[Caller | None, ...] = (None,)
        if current_principal in calls or optional_principal in calls:
            callers = tuple(c for c in CAST if c.kind in kinds)
            if current_principal not in calls:
                callers = (None, *callers)
        for method in route.methods:
            out[(method.upper(), route.path_format)] = callers
    return out


class ServiceThread:
    """A service on a fresh PostgreSQL database with the demo data, served on a loopback port from a thread."""

    def __init__(self, service: str, admin_dsn: str, data_dir: Path) -> None:
        self.service, self.admin_dsn, self.data_dir = service, admin_dsn, data_dir
        self.issuer = TestIssuer()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"fuzz-{service}", daemon=True)
        self.stack = AsyncExitStack()

    async def _start(self) -> str:
        url = await self.stack.enter_async_context(fresh_pg_database(self.admin_dsn))
        main = importlib.import_module(f"{self.service}.main")
        settings_cls = importlib.import_module(f"{self.service}.settings").Settings
        self.app: FastAPI = main.create_app(
            settings_cls(data_dir=self.data_dir, database_url=url, demo_data=True, log_json=False, environment="test")
        )
        self.issuer.install(self.app)
        return await self.stack.enter_async_context(serve_on_port(self.app))

    def __enter__(self) -> ServiceThread:
        self.thread.start()
        self.base_url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=300)
        self.callers = callers_by_operation(self.service)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.stack.aclose(), self.loop).result(timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()

    def headers(self, case: schemathesis.Case) -> list[dict[str, str]]:
        """Bearer tokens to send the case with: one caller the operation admits, chosen by the case's content
        so that a failing case replays (and shrinks) as the same caller; every such caller for a case that
        carries no data (all cases of an operation without parameters are alike)."""
        callers = self.callers.get((case.operation.method.upper(), case.operation.path), (None,))
        data = (case.path_parameters, case.query, case.headers, case.body)
        if not any(part for part in data if not isinstance(part, NotSet)):
            return [self._token(caller) for caller in callers]
        return [self._token(callers[zlib.crc32(repr(data).encode()) % len(callers)])]

    def _token(self, caller: Caller | None) -> dict[str, str]:
        if caller is None:
            return {}
        claims = dict(caller.claims)
        return self.issuer.headers(claims.pop("subject"), kind=caller.kind, **claims)


@schemathesis.check
def problem_json_errors(ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Every 4xx and 5xx is RFC 9457 problem+json with its type, title and the same status, unless the
    operation documents another body for that status (a protocol's own errors, such as OAuth 2.0's)."""
    if response.status_code < 400:
        return None
    documented = case.operation.definition.raw.get("responses", {}).get(str(response.status_code), {})
    if documented.get("content") and PROBLEM_CONTENT_TYPE not in documented["content"]:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type == PROBLEM_CONTENT_TYPE, f"an error answered with {content_type!r}, not problem+json"
    body = response.json()
    assert isinstance(body, dict) and {"type", "title", "status"} <= body.keys(), f"not a problem: {body!r}"
    assert body["status"] == response.status_code, "the problem's status differs from the response's"
    return True


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    problem_json_errors,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": 15, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)


class Services:
    """Runs one service at a time for the module's tests (they are grouped by service)."""

    def __init__(self, admin_dsn: str, data_dir: Path) -> None:
        self.admin_dsn, self.data_dir = admin_dsn, data_dir
        self.current: ServiceThread | None = None

    def get(self, service: str) -> ServiceThread:
        if self.current is None or self.current.service != service:
            self.close()
            self.current = ServiceThread(service, self.admin_dsn, self.data_dir / service).__enter__()
        return self.current

    def close(self) -> None:
        if self.current is not None:
            current, self.current = self.current, None
            current.__exit__(None, None, None)


@pytest.fixture(scope="module")
def services(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    running = Services(pg_admin_dsn, tmp_path_factory.mktemp("fuzz"))
    yield running
    running.close()


def _openapi(service: str) -> dict[str, Any]:
    """The service's OpenAPI document, as its app serves it (no database needed to build it)."""
    main = importlib.import_module(f"{service}.main")
    settings_cls = importlib.import_module(f"{service}.settings").Settings
    with tempfile.TemporaryDirectory() as folder:
        return dict(main.create_app(settings_cls(data_dir=Path(folder), log_json=False)).openapi())


def _fuzz_test(service: str) -> Any:
    schema = schemathesis.openapi.from_dict(_openapi(service), config=CONFIG)

    @schema.parametrize()
    # Generating the larger bodies (a catalog item's definition) is slow on a loaded machine, and schemathesis
    # filters out invalid cases that serialise to valid requests: neither says anything about the API.
    @settings(
        deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
    )
    def test(case: schemathesis.Case, services: Services) -> None:
        running = services.get(service)
        for headers in running.headers(case):
            case.call_and_validate(base_url=running.base_url, headers=headers, checks=CHECKS)

    test.__name__ = f"test_{service}_answers_as_documented"
    return test


for _service in SERVICES:
    globals()[f"test_{_service}_answers_as_documented"] = _fuzz_test(_service)
