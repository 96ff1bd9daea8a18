"""Sessions for reads (``Database.read``): no transaction, so no BEGIN/COMMIT round trips on PostgreSQL and
no write lock on SQLite; writing through one raises. And PostgreSQL connections idle long enough are pinged
before use, so one the server dropped is replaced instead of failing its request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gov_common import db as db_module
from gov_common.db import Database, new_metadata
from gov_common.testing import database_with

metadata = new_metadata()
notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.String(50)))


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}", metadata) as database:
        yield database


@pytest.fixture
async def postgres_db(pg_url: str) -> AsyncIterator[Database]:
    async with database_with(pg_url, metadata) as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(f"{'sqlite' if request.param == 'sqlite' else 'postgres'}_db")  # type: ignore[no-any-return]


def statements(database: Database) -> list[str]:
    seen: list[str] = []
    sa.event.listen(database.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


async def test_a_read_sees_committed_rows_without_a_transaction(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(notes.insert().values(id=1, text="一"))
    seen = statements(db)
    async with db.read() as session:
        assert (await session.execute(sa.select(notes.c.text))).scalar_one() == "一"
    assert not any(s.upper().startswith("BEGIN") for s in seen), seen


async def test_each_statement_of_a_read_is_its_own_on_postgresql(postgres_db: Database) -> None:
    db = postgres_db
    async with db.read() as session:
        first = (await session.execute(sa.text("SELECT now()"))).scalar_one()
        await asyncio.sleep(0.02)
        second = (await session.execute(sa.text("SELECT now()"))).scalar_one()
    assert second > first, "inside a transaction now() would not move"


async def test_a_read_does_not_wait_for_a_writer_on_sqlite(sqlite_db: Database) -> None:
    db = sqlite_db
    async with db.transaction() as session:
        await session.execute(notes.insert().values(id=1, text="before"))
    async with db.transaction() as writer:
        await writer.execute(notes.update().values(text="during"))  # holds the write lock, uncommitted
        async with db.read() as session:
            text = await asyncio.wait_for(session.scalar(sa.select(notes.c.text)), timeout=5)
    assert text == "before", "a reader sees the last commit and does not queue behind the writer"


async def test_writing_through_a_read_session_raises_and_writes_nothing(db: Database) -> None:
    class Note:
        pass

    registry = sa.orm.registry(metadata=metadata)
    registry.map_imperatively(Note, notes)
    try:
        with pytest.raises(RuntimeError, match="read-only"):
            async with db.read() as session:
                note = Note()
                note.id, note.text = 2, "sneaky"  # type: ignore[attr-defined]
                session.add(note)
                await session.flush()
    finally:
        registry.dispose()
    async with db.read() as session:
        assert (await session.execute(sa.select(sa.func.count()).select_from(notes))).scalar_one() == 0


async def test_an_idle_connection_the_server_dropped_is_replaced(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = postgres_db
    async with db.read() as session:
        pid = (await session.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
    other = Database(db.url.render_as_string(hide_password=False))
    async with other.read() as admin:
        await admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await other.dispose()
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0.0)
    async with db.read() as session:
        again = (await session.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
    assert again != pid, "the dropped connection was pinged, found dead and replaced"
