"""Aggregated usage on real PostgreSQL and SQLite: views and applications rank 高频事项 for a region (its
own items and its ancestors'), search terms are counted; no personal data is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gov_common.db import Database
from gov_common.testing import database_with, fresh_pg_database
from portal import usage
from portal.models import item_usage, metadata


@pytest.fixture(params=["postgres", "sqlite"])
async def db(request: pytest.FixtureRequest, pg_admin_dsn: str, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        async with database_with(f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}", metadata) as database:
            yield database
        return
    async with fresh_pg_database(pg_admin_dsn) as url, database_with(url, metadata) as database:
        yield database


async def test_views_and_applications_rank_the_items_of_a_region(db: Database) -> None:
    for _ in range(3):
        await usage.count_item(db, code="NN-FOOD", name="食品经营许可", region="450100")
    await usage.count_item(db, code="GX-BIRTH", name="出生登记", region="450000")
    await usage.count_item(db, code="GX-BIRTH", name="出生登记", region="450000", applied=True)
    await usage.count_item(db, code="LZ-FOOD", name="食品经营许可", region="450200")
    top = await usage.top_items(db, "450100")
    assert [(t["code"], t["score"]) for t in top] == [("GX-BIRTH", 11), ("NN-FOOD", 3)], "Liuzhou's is not Nanning's"
    async with db.read() as session:
        columns = {c.name for c in item_usage.columns}
        rows = (await session.execute(sa.select(item_usage))).all()
    assert columns == {"code", "name", "region", "views", "applications", "last_at"}, "nothing about who"
    assert len(rows) == 3


async def test_search_terms_are_counted_trimmed_and_bounded(db: Database) -> None:
    await usage.count_search(db, " 食品经营 ")
    await usage.count_search(db, "食品经营")
    await usage.count_search(db, "   ")
    await usage.count_search(db, "长" * 80)
    stats = await usage.statistics(db)
    assert stats["search_terms"][0] == {"term": "食品经营", "searches": 2}
    assert {len(t["term"]) for t in stats["search_terms"]} == {4, 50}
