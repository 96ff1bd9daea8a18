"""Aggregated usage (no personal data): item guide views and applications started, search terms. The
counts rank 高频事项 on the front page and are readable as statistics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gov_common.db import Database
from gov_standards.regions import ancestors
from portal.models import item_usage, search_term

log = logging.getLogger(__name__)


def _insert(db: Database, table: sa.Table) -> Any:
    return (postgresql.insert if db.is_postgres else sqlite.insert)(table)


async def count_item(db: Database, *, code: str, name: str, region: str, applied: bool = False) -> None:
    now = datetime.now(UTC)
    stmt = _insert(db, item_usage).values(
        code=code,
        name=name[:200],
        region=region[:12],
        views=0 if applied else 1,
        applications=int(applied),
        last_at=now,
    )
    column = "applications" if applied else "views"
    stmt = stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={column: getattr(item_usage.c, column) + 1, "name": name[:200], "last_at": now},
    )
    try:
        async with db.transaction() as session:
            await session.execute(stmt)
    except Exception as exc:  # counting never fails a page
        log.warning("could not count a view of %s: %r", code, exc)


async def count_search(db: Database, term: str) -> None:
    term = term.strip()[:50]
    if not term:
        return
    now = datetime.now(UTC)
    stmt = _insert(db, search_term).values(term=term, searches=1, last_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["term"], set_={"searches": search_term.c.searches + 1, "last_at": now}
    )
    try:
        async with db.transaction() as session:
            await session.execute(stmt)
    except Exception as exc:
        log.warning("could not count a search: %r", exc)


async def top_items(db: Database, region: str, limit: int = 8) -> list[dict[str, Any]]:
    """The most used items available in ``region`` (its own and its ancestors'), by views plus applications
    (an application weighs as ten views)."""
    regions = ancestors(region)
    score = item_usage.c.views + 10 * item_usage.c.applications
    query = (
        sa.select(item_usage.c.code, item_usage.c.name, item_usage.c.region, score.label("score"))
        .where(item_usage.c.region.in_(regions))
        .order_by(score.desc(), item_usage.c.code)
        .limit(limit)
    )
    async with db.read() as session:
        return [dict(row._mapping) for row in (await session.execute(query)).all()]


async def statistics(db: Database, limit: int = 20) -> dict[str, Any]:
    async with db.read() as session:
        items = (
            await session.execute(
                sa.select(
                    item_usage.c.code,
                    item_usage.c.name,
                    item_usage.c.region,
                    item_usage.c.views,
                    item_usage.c.applications,
                )
                .order_by(item_usage.c.views.desc(), item_usage.c.code)
                .limit(limit)
            )
        ).all()
        terms = (
            await session.execute(
                sa.select(search_term.c.term, search_term.c.searches)
                .order_by(search_term.c.searches.desc(), search_term.c.term)
                .limit(limit)
            )
        ).all()
    return {"items": [dict(r._mapping) for r in items], "search_terms": [dict(r._mapping) for r in terms]}
