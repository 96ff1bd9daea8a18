"""Usage statistics (用户管理中心): the front-ends report the running totals they keep (item guide views,
applications started, search terms), and staff read them summed over every front-end.

A report carries totals, not increments, and a stored total only ever grows (the larger of the stored and
the reported value is kept): a report sent twice, retried, or overtaken by a newer one counts once, and two
replicas of a front-end reporting the same totals do not double them. Search terms that may identify a
person are dropped on arrival, and a term is shown only once it has been searched for several times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import ItemUsage, SearchUsage
from gov_standards.china_time import utcnow
from gov_standards.identifiers import might_identify
from gov_standards.regions import ancestors, region_prefix

# A term is shown once it was searched for at least this often (a rare term may be something only one
# person would type).
MIN_TERM_SEARCHES = 3
# An application weighs as this many guide views in the popularity score.
APPLICATION_WEIGHT = 10


@dataclass(frozen=True)
class ItemCount:
    code: str
    name: str
    region: str
    views: int
    applications: int


@dataclass(frozen=True)
class ReportResult:
    items: int
    search_terms: int
    dropped_terms: int


def _upsert(session: AsyncSession, table: Any) -> Any:
    postgres = session.get_bind().dialect.name == "postgresql"
    return (postgresql.insert if postgres else sqlite.insert)(table), (sa.func.greatest if postgres else sa.func.max)


async def record_report(
    session: AsyncSession, *, source: str, items: list[ItemCount], terms: dict[str, int]
) -> ReportResult:
    """Keep ``source``'s reported totals (each only grows)."""
    now = utcnow()
    if items:
        insert, larger = _upsert(session, ItemUsage.__table__)
        stmt = insert.values(
            [
                {"source": source, "reported_at": now, **vars(item)}
                for item in {i.code: i for i in items}.values()  # a code listed twice: the last counts
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["source", "code"],
            set_={
                "name": stmt.excluded.name,
                "region": stmt.excluded.region,
                "views": larger(ItemUsage.views, stmt.excluded.views),
                "applications": larger(ItemUsage.applications, stmt.excluded.applications),
                "reported_at": now,
            },
        )
        await session.execute(stmt)
    kept = {term.strip(): n for term, n in terms.items() if term.strip() and not might_identify(term)}
    if kept:
        insert, larger = _upsert(session, SearchUsage.__table__)
        stmt = insert.values(
            [{"source": source, "term": t, "searches": n, "reported_at": now} for t, n in kept.items()]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["source", "term"],
            set_={"searches": larger(SearchUsage.searches, stmt.excluded.searches), "reported_at": now},
        )
        await session.execute(stmt)
    return ReportResult(
        items=len({i.code for i in items}), search_terms=len(kept), dropped_terms=len(terms) - len(kept)
    )


def _score() -> Any:
    return sa.func.sum(ItemUsage.views) + APPLICATION_WEIGHT * sa.func.sum(ItemUsage.applications)


async def statistics(session: AsyncSession, *, region: str, limit: int) -> dict[str, Any]:
    """The most viewed items of ``region``'s subtree and the most searched terms, summed over every source."""
    items = (
        await session.execute(
            sa.select(
                ItemUsage.code,
                sa.func.max(ItemUsage.name).label("name"),
                sa.func.max(ItemUsage.region).label("region"),
                sa.func.sum(ItemUsage.views).label("views"),
                sa.func.sum(ItemUsage.applications).label("applications"),
            )
            .where(ItemUsage.region.startswith(region_prefix(region), autoescape=True))
            .group_by(ItemUsage.code)
            .order_by(_score().desc(), ItemUsage.code)
            .limit(limit)
        )
    ).all()
    searches = sa.func.sum(SearchUsage.searches)
    terms = (
        await session.execute(
            sa.select(SearchUsage.term, searches.label("searches"))
            .group_by(SearchUsage.term)
            .having(searches >= MIN_TERM_SEARCHES)
            .order_by(searches.desc(), SearchUsage.term)
            .limit(limit)
        )
    ).all()
    totals = (
        await session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(ItemUsage.views), 0),
                sa.func.coalesce(sa.func.sum(ItemUsage.applications), 0),
                sa.func.count(sa.distinct(ItemUsage.source)),
            ).where(ItemUsage.region.startswith(region_prefix(region), autoescape=True))
        )
    ).one()
    total_searches = (await session.execute(sa.select(sa.func.coalesce(sa.func.sum(SearchUsage.searches), 0)))).scalar()
    return {
        "region": region,
        "views": int(totals[0]),
        "applications": int(totals[1]),
        "searches": int(total_searches or 0),
        "sources": int(totals[2]),
        "top_items": [dict(r._mapping) for r in items],
        "search_terms": [dict(r._mapping) for r in terms],
    }


async def popular_items(session: AsyncSession, *, region: str, limit: int) -> list[dict[str, Any]]:
    """高频事项 for a visitor of ``region``: the items offered there (its own and its ancestors') most used."""
    rows = (
        await session.execute(
            sa.select(
                ItemUsage.code,
                sa.func.max(ItemUsage.name).label("name"),
                sa.func.max(ItemUsage.region).label("region"),
                _score().label("score"),
            )
            .where(ItemUsage.region.in_(ancestors(region)))
            .group_by(ItemUsage.code)
            .order_by(_score().desc(), ItemUsage.code)
            .limit(limit)
        )
    ).all()
    return [dict(r._mapping) for r in rows]
