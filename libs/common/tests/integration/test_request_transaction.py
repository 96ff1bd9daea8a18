"""One transaction per request, committed in one place before the response leaves: a commit that fails
is an error response, and nothing of that request (state or staged events) persists."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter

from gov_common.deps import SessionDep
from gov_common.messaging import metadata as messaging_metadata
from gov_common.messaging import outbox_event
from gov_common.outbox import _add_event
from gov_common.service import ServiceSpec, create_service_app
from gov_common.settings import ServiceSettings
from gov_common.testing import serve_lifespan

router = APIRouter()


@router.post("/things/{n}", status_code=201)
async def create_thing(n: int, session: SessionDep) -> dict[str, int]:
    await session.execute(sa.text("INSERT INTO thing (n) VALUES (:n)"), {"n": n})
    await _add_event(
        session, topic="test.things", type="test.thing.created", source="/t", subject=str(n), data={"n": n}
    )
    return {"n": n}


async def test_failed_commit_is_an_error_and_changes_nothing(pg_url: str, tmp_path: Path) -> None:
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
    async with serve_lifespan(app) as client:
        db = app.state.runtime.db
        async with db.engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)
        async with db.transaction() as session:
            # Checked only at COMMIT, after the endpoint has returned.
            await session.execute(
                sa.text("CREATE TABLE thing (n int, CONSTRAINT uq_thing_n UNIQUE (n) DEFERRABLE INITIALLY DEFERRED)")
            )
        await app.state.runtime.relay.stop()  # keep staged events visible
        first = await client.post("/things/1")
        second = await client.post("/things/1")
        async with db.transaction() as session:
            things = await session.scalar(sa.text("SELECT count(*) FROM thing"))
            events = await session.scalar(sa.select(sa.func.count()).select_from(outbox_event))
    assert first.status_code == 201
    assert second.status_code == 500, "the response must not claim success when the commit failed"
    assert second.headers["content-type"] == "application/problem+json"
    assert (things, events) == (1, 1)
