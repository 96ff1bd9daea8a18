"""Fixtures of svc-catalog's tests: the app on a real database, a token issuer, staff headers and a base
item definition taken from the seed (食品经营许可 of the province)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from catalog.main import create_app
from catalog.seed.loader import implementation_definition, item_definition, seed_document
from catalog.settings import Settings
from gov_common.testing import TestIssuer, fresh_pg_database, serve_lifespan

FOOD = "000112004000"  # 食品经营许可


@dataclass
class Api:
    """The service running on a real database, and tokens for any principal."""

    client: httpx.AsyncClient
    app: FastAPI
    issuer: TestIssuer

    def staff(self, *roles: str, region: str = "450000", subject: str | None = None) -> dict[str, str]:
        return self.issuer.headers(
            subject or f"staff-{region}-{'-'.join(roles)}", kind="staff", roles=roles, region=region
        )

    def editor(self, region: str = "450000") -> dict[str, str]:
        return self.staff("catalog_editor", region=region)

    def publisher(self, region: str = "450000") -> dict[str, str]:
        return self.staff("catalog_publisher", region=region)

    async def create(self, definition: dict[str, Any], *, inherits: str | None = None, region: str = "450000") -> str:
        body: dict[str, Any] = {"definition": definition}
        if inherits:
            body["inherits"] = inherits
        resp = await self.client.post("/v1/items", json=body, headers=self.editor(region))
        assert resp.status_code == 201, resp.text
        return str(resp.json()["implementation_code"])

    async def publish(self, code: str, version: int = 1, region: str = "450000") -> dict[str, Any]:
        sub = await self.client.post(f"/v1/items/{code}/versions/{version}/submit", headers=self.editor(region))
        assert sub.status_code == 200, sub.text
        pub = await self.client.post(f"/v1/items/{code}/versions/{version}/publish", headers=self.publisher(region))
        assert pub.status_code == 200, pub.text
        return dict(pub.json())

    async def create_published(
        self, definition: dict[str, Any], *, inherits: str | None = None, region: str = "450000"
    ) -> str:
        code = await self.create(definition, inherits=inherits, region=region)
        await self.publish(code, region=region)
        return code


def seed_item(basic_code: str) -> dict[str, Any]:
    doc = seed_document()
    raw = next(i for i in doc["items"] if i["basic_code"] == basic_code)
    return copy.deepcopy(item_definition(raw, doc))


def nanning_food() -> dict[str, Any]:
    """食品经营许可 as Nanning implements it (a valid implementation list entry)."""
    doc = seed_document()
    raw = next(i for i in doc["implementations"] if i["inherits"] == FOOD and i["region"] == "450100")
    return copy.deepcopy(implementation_definition(raw, doc)[1])


@pytest.fixture
def food() -> dict[str, Any]:
    """食品经营许可 of the provincial basic catalog, as seeded."""
    return seed_item(FOOD)


@pytest.fixture
def company() -> dict[str, Any]:
    """内资有限公司设立登记 (registering a company) of the provincial basic catalog, as seeded."""
    return seed_item("000112001000")


@pytest.fixture
def nanning(food: dict[str, Any]) -> dict[str, Any]:
    return nanning_food()


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def app_factory(tmp_path: Path, issuer: TestIssuer) -> Callable[..., FastAPI]:
    def make(**settings: Any) -> FastAPI:
        app = create_app(Settings(data_dir=tmp_path, log_json=False, outbox_poll_seconds=0.1, **settings))
        issuer.install(app)
        return app

    return make


@pytest.fixture
async def api(pg_url: str, app_factory: Callable[..., FastAPI], issuer: TestIssuer) -> AsyncIterator[Api]:
    """svc-catalog on a fresh PostgreSQL database (embedded event log), empty catalog."""
    app = app_factory(database_url=pg_url)
    async with serve_lifespan(app) as client:
        yield Api(client=client, app=app, issuer=issuer)


@pytest.fixture(params=["postgres", "sqlite"])
async def either_api(
    request: pytest.FixtureRequest, pg_admin_dsn: str, app_factory: Callable[..., FastAPI], issuer: TestIssuer
) -> AsyncIterator[Api]:
    """svc-catalog on a fresh PostgreSQL database and on the embedded default (SQLite), for what differs per
    dialect (upserts)."""
    async with AsyncExitStack() as stack:
        settings = {}
        if request.param == "postgres":
            settings["database_url"] = await stack.enter_async_context(fresh_pg_database(pg_admin_dsn))
        app = app_factory(**settings)
        client = await stack.enter_async_context(serve_lifespan(app))
        yield Api(client=client, app=app, issuer=issuer)
