"""The HTTP contract's mechanics: 400 for malformed JSON, 415 for another content type, the public path as a
problem's instance and in Location, times with their offset, summaries from docstrings."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Form, Request, Response
from pydantic import BaseModel

from gov_common.errors import PROBLEM_CONTENT_TYPE, install_problem_handlers
from gov_common.http import OFFSET_PATTERN, AwareDateTime, body_type_read, created, summarise_operations


class Thing(BaseModel):
    name: str


class ThingRead(BaseModel):
    name: str
    created_at: AwareDateTime


def make_app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(body_type_read)])  # as the app factory does
    app.state.runtime = SimpleNamespace(settings=SimpleNamespace(service_name="things"))
    install_problem_handlers(app)

    @app.post("/v1/things", status_code=201, response_model=ThingRead)
    async def create_thing(thing: Thing, request: Request, response: Response) -> dict[str, Any]:
        """Create a thing (editor).

        Longer text for the description."""
        created(request, response, f"/v1/things/{thing.name}")
        return {"name": thing.name, "created_at": datetime(2025, 1, 2, 3, 4, 5)}  # naive, as SQLite gives it

    @app.post("/v1/forms")
    async def send_form(name: Annotated[str, Form()]) -> dict[str, str]:
        """Send a form."""
        return {"name": name}

    summarise_operations(app)
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_malformed_json_is_400_and_another_content_type_415() -> None:
    async with client(make_app()) as c:
        malformed = await c.post("/v1/things", content=b'{"name": ', headers={"Content-Type": "application/json"})
        assert malformed.status_code == 400
        assert malformed.headers["content-type"] == PROBLEM_CONTENT_TYPE
        assert malformed.json()["type"].endswith(":malformed-json")

        wrong = await c.post("/v1/things", content=b"name=a", headers={"Content-Type": "text/plain"})
        assert wrong.status_code == 415
        assert wrong.json()["status"] == 415
        json_to_a_form = await c.post("/v1/forms", json={"name": "a"})
        assert json_to_a_form.status_code == 415

        invalid = await c.post("/v1/things", json={"name": 1})
        assert invalid.status_code == 422, "JSON that does not fit the schema stays 422"
        assert (await c.post("/v1/forms", data={"name": "a"})).status_code == 200


async def test_public_path_is_believed_only_for_the_services_own_prefix() -> None:
    async with client(make_app()) as c:
        through = await c.post("/v1/things", json={"name": 1}, headers={"X-Forwarded-Prefix": "/api/things"})
        assert through.json()["instance"] == "/api/things/v1/things"
        forged = await c.post("/v1/things", json={"name": 1}, headers={"X-Forwarded-Prefix": "/elsewhere"})
        assert forged.json()["instance"] == "/v1/things"

        made = await c.post("/v1/things", json={"name": "a"}, headers={"X-Forwarded-Prefix": "/api/things"})
        assert made.status_code == 201
        assert made.headers["location"] == "/api/things/v1/things/a"
        assert made.json()["created_at"] in ("2025-01-02T03:04:05Z", "2025-01-02T03:04:05+00:00")


def test_the_document_shows_summaries_locations_offsets_and_415() -> None:
    spec = make_app().openapi()
    create = spec["paths"]["/v1/things"]["post"]
    assert create["summary"] == "Create a thing (editor)"
    assert create["description"] == "Longer text for the description."
    assert create["responses"]["201"]["headers"]["Location"]["required"] is True
    assert "415" in create["responses"]
    read = spec["components"]["schemas"]["ThingRead"]["properties"]["created_at"]
    assert read["format"] == "date-time"
    assert read["pattern"] == OFFSET_PATTERN
