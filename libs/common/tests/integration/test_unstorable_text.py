"""Text PostgreSQL cannot store (a NUL character, in a column or escaped in JSON) is the client's error: a 422
problem, found by the API fuzzing as a 500 in svc-payment. Any other database error stays a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Body

from gov_common.deps import SessionDep
from gov_common.service import ServiceSpec, create_service_app
from gov_common.settings import ServiceSettings
from gov_common.testing import serve_lifespan

router = APIRouter()


@router.post("/notes", status_code=201)
async def add_note(note: dict[str, Any], session: SessionDep) -> dict[str, Any]:
    await session.execute(
        sa.text("INSERT INTO note (title, data) VALUES (:title, CAST(:data AS jsonb))"),
        {"title": note["title"], "data": json.dumps(note["data"])},
    )
    return note


@router.post("/broken", status_code=201)
async def broken(session: SessionDep, title: str = Body(embed=True)) -> None:
    await session.execute(sa.text("INSERT INTO no_such_table (title) VALUES (:title)"), {"title": title})


async def test_nul_text_is_a_422_problem_other_database_errors_stay_500(pg_url: str, tmp_path: Path) -> None:
    spec = ServiceSpec(
        name="notes",
        title="Notes",
        description="",
        settings_cls=ServiceSettings,
        migrations_dir=tmp_path,
        routers=[router],
    )
    settings = ServiceSettings(service_name="notes", data_dir=tmp_path, database_url=pg_url, migrate_on_start=False)
    app = create_service_app(spec, settings)
    async with serve_lifespan(app) as client:
        async with app.state.runtime.db.transaction() as session:
            await session.execute(sa.text("CREATE TABLE note (title text, data jsonb)"))
        fine = await client.post("/notes", json={"title": "ok", "data": {"a": "b"}})
        in_column = await client.post("/notes", json={"title": "a\u0000b", "data": {}})
        in_json = await client.post("/notes", json={"title": "ok", "data": {"a": "\u0000"}})
        other = await client.post("/broken", json={"title": "x"})
        async with app.state.runtime.db.transaction() as session:
            kept = await session.scalar(sa.text("SELECT count(*) FROM note"))
    assert fine.status_code == 201, fine.text
    for refused in (in_column, in_json):
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:gov-platform:problem:unstorable-text"
    assert other.status_code == 500 and other.json()["type"] == "urn:gov-platform:problem:internal-error"
    assert kept == 1
