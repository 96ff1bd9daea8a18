"""gov_common.idempotency through a real app on PostgreSQL: replay with the first status and body, another
body is 409, a bad or missing key is 400, two requests at once with one key create one row."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common import idempotency
from gov_common.deps import SessionDep
from gov_common.messaging import metadata as messaging_metadata
from gov_common.service import ServiceSpec, create_service_app
from gov_common.settings import ServiceSettings
from gov_common.testing import serve_lifespan


class Base(DeclarativeBase):
    pass


class IdempotencyRecord(idempotency.IdempotencyRecordMixin, Base):
    pass


class Thing(Base):
    __tablename__ = "thing"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(50))


class ThingCreate(BaseModel):
    name: str


router = APIRouter()


@router.post(
    "/things",
    status_code=201,
    summary="Create a thing; Idempotency-Key required",
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def create_thing(thing_in: ThingCreate, session: SessionDep, key: idempotency.RequiredKey) -> JSONResponse:
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal="someone", scope="things", key=key, body=thing_in.model_dump()
    )
    if claim.replay:
        return claim.response()
    thing = Thing(name=thing_in.name)
    session.add(thing)
    await session.flush()
    await asyncio.sleep(0.3)  # keep the claim uncommitted while a concurrent duplicate arrives
    return idempotency.remember(claim, status_code=201, body={"id": str(thing.id), "name": thing.name})


@router.post(
    "/notes",
    status_code=201,
    summary="Create a thing; Idempotency-Key optional; the name 'no' is refused (a committed refusal)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_note(thing_in: ThingCreate, session: SessionDep, key: idempotency.OptionalKey) -> JSONResponse:
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal="", scope="notes", key=key, body=thing_in.model_dump()
    )
    if claim.replay:
        return claim.response()
    thing = Thing(name=thing_in.name)
    session.add(thing)
    await session.flush()
    if thing_in.name == "no":  # answered, not raised: the transaction (and the row) is kept
        return idempotency.remember(claim, status_code=422, body={"title": "no", "status": 422})
    return idempotency.remember(claim, status_code=201, body={"id": str(thing.id), "name": thing.name})


@pytest.fixture
async def client(pg_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    spec = ServiceSpec(
        name="things",
        title="Things",
        description="",
        settings_cls=ServiceSettings,
        migrations_dir=tmp_path,
        routers=[router],
    )
    settings = ServiceSettings(service_name="things", data_dir=tmp_path, database_url=pg_url, migrate_on_start=False)
    app = create_service_app(spec, settings)
    async with serve_lifespan(app) as http:
        async with app.state.runtime.db.engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)
            await conn.run_sync(Base.metadata.create_all)
        yield http


async def _things(client: httpx.AsyncClient) -> int:
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.runtime.db.transaction() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Thing)) or 0)


async def test_same_key_and_body_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    first = await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k-1"})
    again = await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _things(client) == 1


async def test_same_key_with_another_body_is_409_and_creates_nothing(client: httpx.AsyncClient) -> None:
    await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k-2"})
    other = await client.post("/things", json={"name": "b"}, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 409 and other.json()["type"].endswith(":idempotency-key-reused")
    assert await _things(client) == 1


@pytest.mark.parametrize(
    ("key", "slug"),
    [
        (None, "idempotency-key-required"),
        ("", "idempotency-key-invalid"),
        ("x" * 201, "idempotency-key-invalid"),
        ("cl\xc3\xa9".encode("latin-1"), "idempotency-key-invalid"),
        ("a\tb", "idempotency-key-invalid"),
    ],
)
async def test_a_missing_or_bad_key_is_400_and_creates_nothing(
    client: httpx.AsyncClient, key: str | bytes | None, slug: str
) -> None:
    headers: dict[str, str | bytes] = {} if key is None else {"Idempotency-Key": key}
    answer = await client.post("/things", json={"name": "a"}, headers=headers)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith(f":{slug}")
    assert await _things(client) == 0


async def test_the_longest_key_is_accepted(client: httpx.AsyncClient) -> None:
    answer = await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "~ " * 100})
    assert answer.status_code == 201


async def test_two_requests_at_once_with_one_key_create_one_row(client: httpx.AsyncClient) -> None:
    send = lambda: client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k-race"})  # noqa: E731
    answers = await asyncio.gather(send(), send(), send())
    statuses = sorted(a.status_code for a in answers)
    assert all(s in (201, 409) for s in statuses), statuses  # never a 500
    assert statuses.count(201) >= 1
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1, "every 201 is the same thing"
    assert (
        sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers if a.status_code == 201)
        == statuses.count(201) - 1
    )
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["type"].endswith(":idempotency-key-in-progress")
    assert await _things(client) == 1


async def test_an_optional_key_not_sent_remembers_nothing(client: httpx.AsyncClient) -> None:
    first = await client.post("/notes", json={"name": "a"})
    again = await client.post("/notes", json={"name": "a"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] != again.json()["id"]
    assert "Idempotent-Replayed" not in again.headers
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.runtime.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord)) == 0
    bad = await client.post("/notes", json={"name": "a"}, headers={"Idempotency-Key": "x" * 201})
    assert bad.status_code == 400 and bad.json()["type"].endswith(":idempotency-key-invalid")


async def test_a_committed_refusal_is_replayed_as_the_same_problem(client: httpx.AsyncClient) -> None:
    first = await client.post("/notes", json={"name": "no"}, headers={"Idempotency-Key": "n-1"})
    again = await client.post("/notes", json={"name": "no"}, headers={"Idempotency-Key": "n-1"})
    assert first.status_code == again.status_code == 422 and again.json() == first.json()
    assert again.headers["content-type"] == first.headers["content-type"] == "application/problem+json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _things(client) == 1


async def test_the_openapi_says_the_key_is_required(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/things"]["post"]
    params = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert len(params) == 1 and params[0]["required"] is True and params[0]["schema"]["maxLength"] == 200
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    optional = (await client.get("/openapi.json")).json()["paths"]["/notes"]["post"]["parameters"]
    assert [p["required"] for p in optional if p["name"] == "Idempotency-Key"] == [False]
