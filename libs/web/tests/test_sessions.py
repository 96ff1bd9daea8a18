"""Server-side sessions on real PostgreSQL and SQLite: saved under the token's digest only, rotated at
sign-in (the old token dies), ended, expired, locked for a token refresh, ended everywhere for a person."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from gov_common.db import Database
from gov_common.testing import database_with, fresh_pg_database
from gov_web.sessions import SessionStore, metadata, web_session


@pytest.fixture(params=["postgres", "sqlite"])
async def db(request: pytest.FixtureRequest, pg_admin_dsn: str, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}", metadata) as database:
            yield database
        return
    async with fresh_pg_database(pg_admin_dsn) as url, database_with(url, metadata) as database:
        yield database


async def test_a_session_is_stored_under_its_tokens_digest_and_loads_back(db: Database) -> None:
    store = SessionStore(db, idle_seconds=600, max_seconds=3600)
    ws = store.new()
    ws.set("user", {"sub": "acc-1"})
    await store.save(ws)
    assert ws.token and not ws.modified
    async with db.read() as session:
        rows = (await session.execute(sa.select(web_session.c.id, web_session.c.subject))).all()
    assert [tuple(r) for r in rows] == [(hashlib.sha256(ws.token.encode()).hexdigest(), "acc-1")]
    loaded = await store.load(ws.token)
    assert loaded is not None and loaded.get("user") == {"sub": "acc-1"}
    assert await store.load("not-a-token") is None
    assert await store.load("x" * 500) is None


async def test_rotation_kills_the_old_token_and_end_forgets_the_session(db: Database) -> None:
    store = SessionStore(db, idle_seconds=600, max_seconds=3600)
    ws = store.new()
    ws.set("oidc_pending", {"s": 1})
    await store.save(ws)
    planted = ws.token
    assert planted is not None
    ws.rotate()
    await store.save(ws)
    assert ws.token != planted
    assert await store.load(planted) is None, "a token planted before sign-in is worthless after it"
    current = ws.token
    assert current is not None and await store.load(current) is not None
    ws.end()
    await store.save(ws)
    assert await store.load(current) is None


async def test_an_expired_session_is_not_loaded_and_is_purged(db: Database) -> None:
    store = SessionStore(db, idle_seconds=600, max_seconds=3600)
    ws = store.new()
    await store.save(ws)
    assert ws.token is not None
    async with db.transaction() as session:
        await session.execute(sa.update(web_session).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert await store.load(ws.token) is None
    assert await store.purge_expired() == 1


async def test_a_session_lives_at_most_its_maximum_however_active(db: Database) -> None:
    store = SessionStore(db, idle_seconds=600, max_seconds=3600)
    ws = store.new()
    ws.created_at = datetime.now(UTC) - timedelta(seconds=3590)
    await store.save(ws)
    assert ws.expires_at is not None and ws.expires_at <= ws.created_at + timedelta(seconds=3600)


async def test_locked_data_is_written_back_and_end_all_signs_a_person_out_everywhere(db: Database) -> None:
    store = SessionStore(db, idle_seconds=600, max_seconds=3600)
    sessions = []
    for sub in ("acc-1", "acc-1", "acc-2"):
        ws = store.new()
        ws.set("user", {"sub": sub})
        ws.set("tokens", {"access_token": "old"})
        await store.save(ws)
        sessions.append(ws)
    async with store.locked(sessions[0]) as data:
        assert data is not None and data["tokens"] == {"access_token": "old"}
        data["tokens"] = {"access_token": "new"}
    assert sessions[0].token is not None
    reloaded = await store.load(sessions[0].token)
    assert reloaded is not None and reloaded.get("tokens") == {"access_token": "new"}
    assert await store.end_all("acc-1") == 2
    assert [await store.load(ws.token or "") is None for ws in sessions] == [True, True, False]


async def test_concurrent_requests_of_a_session_each_keep_their_own_changes(db: Database) -> None:
    """Two requests of one session (two tabs; a page and its previews) load it at once: the later save merges
    its own changes into the stored row instead of writing back what it loaded. A form's errors, a flash, and
    the tokens a third request refreshed meanwhile all survive; a session ended meanwhile is not brought back."""
    store = SessionStore(db, idle_seconds=600, max_seconds=3600)
    ws = store.new()
    ws.set("user", {"sub": "acc-1"})
    ws.set("tokens", {"access_token": "old", "refresh_token": "r1"})
    ws.set("flash", "已认领")
    await store.save(ws)
    token = ws.token
    assert token is not None
    first, second, refresher = [await store.load(token) for _ in range(3)]
    assert first is not None and second is not None and refresher is not None

    async with store.locked(refresher) as data:  # a token refresh rotates the refresh token
        assert data is not None
        data["tokens"] = {"access_token": "new", "refresh_token": "r2"}
    first.set("countersign_errors", {"question": "请填写会签事项"})
    await store.save(first)
    assert second.pop("flash") == "已认领"  # loaded before both writes
    second.set("staff", {"sub": "acc-1"})
    await store.save(second)

    stored = await store.load(token)
    assert stored is not None
    assert stored.data == {
        "user": {"sub": "acc-1"},
        "tokens": {"access_token": "new", "refresh_token": "r2"},
        "countersign_errors": {"question": "请填写会签事项"},
        "staff": {"sub": "acc-1"},
    }
    assert second.data == stored.data, "the saving request goes on with the merged data"

    # A change made before a refresh in the same request is kept through the refresh's reload.
    late = await store.load(token)
    assert late is not None
    late.set("flash", "已办理")
    async with store.locked(late) as data:
        assert data is not None and data["flash"] == "已办理"
    # Signed out everywhere meanwhile: a request still holding the session does not bring it back.
    assert await store.end_all("acc-1") == 1
    late.set("flash", "again")
    await store.save(late)
    assert await store.load(token) is None
