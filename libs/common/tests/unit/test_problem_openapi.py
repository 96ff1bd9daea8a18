"""Every operation documents its problem+json answers; list filters read dates and times as ISO 8601 only."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel

from gov_common.errors import DOCUMENTED_PROBLEMS, PROBLEM_CONTENT_TYPE, install_problem_handlers
from gov_common.pagination import IsoDate


class OAuthError(BaseModel):
    error: str


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/days")
    async def days(since: IsoDate | None = Query(None)) -> dict[str, str | None]:
        return {"since": since.isoformat() if since else None}

    @app.post("/token", responses={400: {"model": OAuthError}})
    async def token() -> dict[str, str]:
        return {}

    return app


def test_every_operation_documents_its_problems_and_keeps_a_protocols_own_errors() -> None:
    spec: dict[str, Any] = make_app().openapi()
    days = spec["paths"]["/days"]["get"]["responses"]
    for status in DOCUMENTED_PROBLEMS:
        content = days[str(status)]["content"]
        assert list(content) == [PROBLEM_CONTENT_TYPE], (status, content)
    assert days["404"]["content"][PROBLEM_CONTENT_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert days["422"]["content"][PROBLEM_CONTENT_TYPE]["schema"] == {"$ref": "#/components/schemas/ValidationProblem"}
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["type", "title", "status"]
    token = spec["paths"]["/token"]["post"]["responses"]
    assert list(token["400"]["content"]) == ["application/json"], "OAuth 2.0 fixes its own error body"
    assert list(token["401"]["content"]) == [PROBLEM_CONTENT_TYPE]


@pytest.mark.parametrize(("value", "status"), [("2026-03-01", 200), ("0", 422), ("20260301", 422), ("-1.5", 422)])
async def test_dates_are_iso_8601_not_unix_times(value: str, status: int) -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        resp = await client.get("/days", params={"since": value})
    assert resp.status_code == status, resp.text
    if status == 200:
        assert resp.json() == {"since": date(2026, 3, 1).isoformat()}
