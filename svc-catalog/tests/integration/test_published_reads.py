"""Published reads on PostgreSQL: ETags, 304 without touching the database, Cache-Control, and the in-memory
answers staying right across a publish or withdraw, in this process and in another one on the same database."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from catalog.caching import FINAL_CACHE_CONTROL, PRIVATE_CACHE_CONTROL, PublishedCache
from catalog.items.schemas import ItemDefinition, ItemRead
from gov_common.testing import serve_lifespan

CURRENT = "public, max-age=5"


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements ``app`` sends while the block runs."""
    seen: list[str] = []
    engine = app.state.runtime.db.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def with_clock(app: FastAPI, clock: Callable[[], float], ttl: float = 2.0) -> None:
    app.state.published = PublishedCache(
        app.state.runtime.db.sessionmaker, max_entries=100, ttl=ttl, max_age=5, clock=clock
    )


async def test_a_conditional_read_of_a_published_item_is_304_without_a_statement(
    api: Any, food: dict[str, Any]
) -> None:
    code = await api.create_published(food)
    first = await api.client.get(f"/v1/items/{code}")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"v1-') and first.headers["Cache-Control"] == CURRENT
    # The answer is the same JSON the validated model gives (the stored definition is not validated again).
    assert first.json() == ItemRead.model_validate(first.json()).model_dump(mode="json")
    assert first.json()["definition"] == ItemDefinition.model_validate(food).model_dump(mode="json")

    with statements(api.app) as seen:
        again = await api.client.get(f"/v1/items/{code}", headers={"If-None-Match": etag})
        weak = await api.client.get(f"/v1/items/{code}", headers={"If-None-Match": f'"other", W/{etag}'})
        star = await api.client.get(f"/v1/items/{code}", headers={"If-None-Match": "*"})
        whole = await api.client.get(f"/v1/items/{code}")
        version = await api.client.get(f"/v1/items/{code}/versions/1", headers={"If-None-Match": etag})
    assert seen == [], "answered from memory"
    for resp in (again, weak, star, version):
        assert resp.status_code == 304 and resp.content == b""
        assert resp.headers["ETag"] == etag and resp.headers["Cache-Control"] == CURRENT
        assert "content-type" not in resp.headers
    assert whole.status_code == 200 and whole.content == first.content and whole.headers["ETag"] == etag


async def test_a_bad_if_none_match_gets_the_whole_answer(api: Any, food: dict[str, Any]) -> None:
    code = await api.create_published(food)
    first = await api.client.get(f"/v1/items/{code}")
    etag = first.headers["ETag"]
    for bad in ("garbage", etag[1:], etag[:-1], "W/", '""', ",,,", f"{etag[1:-1]}", "x" * 4000, '"a"b"'):
        resp = await api.client.get(f"/v1/items/{code}", headers={"If-None-Match": bad})
        assert resp.status_code == 200, bad
        assert resp.content == first.content and resp.headers["ETag"] == etag
    unknown = await api.client.get("/v1/items/NO-SUCH-ITEM", headers={"If-None-Match": "*"})
    assert unknown.status_code == 404, "* matches only an answer that exists"


async def test_a_new_version_changes_the_etag_and_makes_the_old_one_immutable(api: Any, food: dict[str, Any]) -> None:
    code = await api.create_published(food)
    v1 = await api.client.get(f"/v1/items/{code}")
    changed = copy.deepcopy(food)
    changed["time_limit"]["promised_days"] = 3
    draft = await api.client.post(f"/v1/items/{code}/versions", json={"definition": changed}, headers=api.editor())
    assert draft.status_code == 201, draft.text

    staff = await api.client.get(f"/v1/items/{code}/versions/2", headers=api.editor())
    assert staff.json()["status"] == "draft" and staff.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL
    again = await api.client.get(
        f"/v1/items/{code}/versions/2", headers=api.editor() | {"If-None-Match": staff.headers["ETag"]}
    )
    assert again.status_code == 304 and again.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL
    assert (await api.client.get(f"/v1/items/{code}/versions/2")).status_code == 404, "a draft is not public"

    await api.publish(code, version=2)
    now = await api.client.get(f"/v1/items/{code}", headers={"If-None-Match": v1.headers["ETag"]})
    assert now.status_code == 200, "the publish in this process is served at once"
    assert now.json()["version"] == 2 and now.json()["definition"]["time_limit"]["promised_days"] == 3
    assert now.headers["ETag"].startswith('"v2-') and now.headers["Cache-Control"] == CURRENT

    old = await api.client.get(f"/v1/items/{code}/versions/1", headers={"If-None-Match": v1.headers["ETag"]})
    assert old.status_code == 200 and old.json()["current"] is False, "no longer current: another answer"
    assert old.headers["ETag"] not in (v1.headers["ETag"], now.headers["ETag"])
    assert old.headers["Cache-Control"] == FINAL_CACHE_CONTROL
    with statements(api.app) as seen:
        cached = await api.client.get(f"/v1/items/{code}/versions/1", headers={"If-None-Match": old.headers["ETag"]})
    assert cached.status_code == 304 and seen == []
    current = await api.client.get(f"/v1/items/{code}/versions/2")
    assert current.headers["Cache-Control"] == CURRENT and current.headers["ETag"] == now.headers["ETag"]


async def test_a_withdrawal_is_visible_at_once_in_this_process(api: Any, food: dict[str, Any]) -> None:
    code = await api.create_published(food)
    assert (await api.client.get(f"/v1/items/{code}")).status_code == 200
    withdrawn = await api.client.post(f"/v1/items/{code}/withdraw", headers=api.publisher())
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await api.client.get(f"/v1/items/{code}")).status_code == 404
    version = await api.client.get(f"/v1/items/{code}/versions/1")
    assert version.json()["status"] == "withdrawn" and version.headers["Cache-Control"] == FINAL_CACHE_CONTROL


async def test_another_process_serves_a_publish_or_withdrawal_within_the_ttl(
    pg_url: str, app_factory: Callable[..., FastAPI], api: Any, food: dict[str, Any]
) -> None:
    # `api` is one process; `other` a second one on the same database, with a clock the test moves.
    code = await api.create_published(food)
    other_app = app_factory(database_url=pg_url, migrate_on_start=False)
    clock = Clock()
    async with serve_lifespan(other_app) as other:
        with_clock(other_app, clock, ttl=2.0)
        v1 = await other.get(f"/v1/items/{code}")
        assert v1.json()["version"] == 1
        changed = copy.deepcopy(food)
        changed["time_limit"]["promised_days"] = 3
        await api.client.post(f"/v1/items/{code}/versions", json={"definition": changed}, headers=api.editor())
        await api.publish(code, version=2)

        clock.now += 1.9
        with statements(other_app) as seen:
            stale = await other.get(f"/v1/items/{code}")
        assert stale.json()["version"] == 1 and seen == [], "within the TTL: the answer kept"
        clock.now += 0.2
        fresh = await other.get(f"/v1/items/{code}", headers={"If-None-Match": v1.headers["ETag"]})
        assert fresh.status_code == 200 and fresh.json()["version"] == 2, "after the TTL: the new version"
        old = await other.get(f"/v1/items/{code}/versions/1")
        assert old.json()["current"] is False and old.headers["Cache-Control"] == FINAL_CACHE_CONTROL

        assert (await api.client.post(f"/v1/items/{code}/withdraw", headers=api.publisher())).status_code == 200
        assert (await other.get(f"/v1/items/{code}/versions/2")).json()["current"] is True, "within the TTL"
        clock.now += 2.1
        assert (await other.get(f"/v1/items/{code}")).status_code == 404
        gone = await other.get(f"/v1/items/{code}/versions/2")
        assert gone.json()["status"] == "withdrawn" and gone.headers["Cache-Control"] == FINAL_CACHE_CONTROL


async def test_bundle_reads_carry_etags_and_are_304_from_memory(
    api: Any, food: dict[str, Any], company: dict[str, Any]
) -> None:
    items = [await api.create_published(company), await api.create_published(food)]
    body = {
        "code": "YJS-450000-CACHE",
        "name": "开办餐饮店“一件事”",
        "region": "450000",
        "life_event": "开办企业",
        "description": "一次办好营业执照和食品经营许可",
        "items": items,
    }
    assert (await api.client.post("/v1/bundles", json=body, headers=api.editor())).status_code == 201
    draft = await api.client.get("/v1/bundles/YJS-450000-CACHE/versions/1", headers=api.editor())
    assert draft.headers["Cache-Control"] == PRIVATE_CACHE_CONTROL and draft.headers["ETag"].startswith('"v1-')
    assert (await api.client.get("/v1/bundles/YJS-450000-CACHE")).status_code == 404
    await api.client.post("/v1/bundles/YJS-450000-CACHE/versions/1/submit", headers=api.editor())
    published = await api.client.post("/v1/bundles/YJS-450000-CACHE/versions/1/publish", headers=api.publisher())
    assert published.status_code == 200, published.text

    public = await api.client.get("/v1/bundles/YJS-450000-CACHE")
    assert public.status_code == 200 and public.json()["current"] is True
    assert public.headers["Cache-Control"] == CURRENT and public.json() == published.json()
    with statements(api.app) as seen:
        again = await api.client.get("/v1/bundles/YJS-450000-CACHE", headers={"If-None-Match": public.headers["ETag"]})
        version = await api.client.get("/v1/bundles/YJS-450000-CACHE/versions/1")
    assert seen == [] and again.status_code == 304 and again.headers["ETag"] == public.headers["ETag"]
    assert version.content == public.content and version.headers["Cache-Control"] == CURRENT

    assert (await api.client.post("/v1/bundles/YJS-450000-CACHE/withdraw", headers=api.publisher())).status_code == 200
    assert (await api.client.get("/v1/bundles/YJS-450000-CACHE")).status_code == 404
    gone = await api.client.get(
        "/v1/bundles/YJS-450000-CACHE/versions/1", headers={"If-None-Match": public.headers["ETag"]}
    )
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    assert gone.headers["Cache-Control"] == FINAL_CACHE_CONTROL
