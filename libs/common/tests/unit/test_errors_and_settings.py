from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from gov_common.errors import NotFound, ProblemError, install_problem_handlers, problem_body
from gov_common.settings import ServiceSettings


class ItemNotFound(NotFound):
    slug, title = "item-not-found", "No such item"


class Payload(BaseModel):
    name: str = Field(min_length=2)
    fee_fen: int = Field(ge=0)


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/items")
    async def create(item: Payload) -> dict[str, str]:
        return {"name": item.name}

    @app.get("/items/{code}")
    async def get(code: str) -> dict[str, str]:
        raise ItemNotFound(f"item {code} does not exist", code=code)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals at /srv/db password=hunter2")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://svc")


async def test_validation_error_points_at_each_field(client: httpx.AsyncClient) -> None:
    resp = await client.post("/items", json={"name": "x", "fee_fen": -1})
    body = resp.json()
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert body["type"] == "urn:gov-platform:problem:validation-error"
    assert {e["pointer"] for e in body["errors"]} == {"/name", "/fee_fen"}


async def test_domain_error_has_stable_type_and_extensions(client: httpx.AsyncClient) -> None:
    resp = await client.get("/items/A1")
    assert resp.status_code == 404
    assert resp.json() == {
        "type": "urn:gov-platform:problem:item-not-found",
        "title": "No such item",
        "status": 404,
        "detail": "item A1 does not exist",
        "instance": "/items/A1",
        "code": "A1",
    }


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nothing")
    wrong = await client.delete("/items")
    assert missing.status_code == 404 and missing.json()["type"].endswith(":not-found")
    assert wrong.status_code == 405 and wrong.json()["type"].endswith(":method-not-allowed")


async def test_unexpected_error_reveals_nothing(client: httpx.AsyncClient) -> None:
    resp = await client.get("/crash")
    assert resp.status_code == 500
    assert resp.json()["type"].endswith(":internal-error")
    assert "hunter2" not in resp.text and "Traceback" not in resp.text


def test_problem_error_defaults() -> None:
    err = ProblemError()
    assert err.status == 500 and str(err) == "Internal error"


class CatalogLike(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")
    service_name: str = "catalog"


def test_extensions_never_replace_the_standard_members() -> None:
    class Conflict(ProblemError):
        slug, status, title = "invalid-state", 409, "Invalid state"

    body = problem_body(
        status=409,
        slug="invalid-state",
        title="Invalid state",
        extensions={"status": "submitted", "type": "x", "title": "y", "detail": "z", "instance": "/w", "extra": 1},
    )
    assert body == {
        "type": "urn:gov-platform:problem:invalid-state",
        "title": "Invalid state",
        "status": 409,
        "extra": 1,
    }
    response = Conflict("an application submitted cannot be changed", current_status="submitted").to_response()
    assert response.status_code == 409
    assert b'"status":409' in response.body and b'"current_status":"submitted"' in response.body


def test_settings_prefix_then_shared_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOV_EVENT_BUS", "kafka")
    monkeypatch.setenv("GOV_KAFKA_BOOTSTRAP_SERVERS", "shared:9092")
    monkeypatch.setenv("CATALOG_KAFKA_BOOTSTRAP_SERVERS", "own:9092")
    monkeypatch.setenv("CATALOG_DATA_DIR", str(tmp_path))
    settings = CatalogLike()
    assert settings.event_bus == "kafka"
    assert settings.kafka_bootstrap_servers == "own:9092"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"


def test_embedded_default_needs_no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GOV_EVENT_BUS", "CATALOG_EVENT_BUS", "CATALOG_DATABASE_URL", "GOV_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    settings = CatalogLike()
    assert settings.event_bus == "embedded"
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_event_log_path.name == "events.db"
