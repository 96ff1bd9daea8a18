"""Search and browse over the current published items, the same SQL on PostgreSQL and SQLite.

Relevance (an integer, so that cursors compare exactly): 100 x the summed field weights of the matched
query terms, +10000 when the name contains the whole query, minus the name's length (shorter, more
specific names first). An item must match at least half of the query's terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from catalog.errors import InvalidQuery
from catalog.models import BundleVersion, ItemLifeEvent, ItemTerm, ItemVersion
from catalog.search.text import keyword_term, normalise, query_terms
from gov_common.pagination import decode_cursor, encode_cursor
from gov_standards.regions import ancestors, is_guangxi_region, region_prefix

# A page of summaries needs the indexed columns only: decoding each definition's JSON was most of its cost.
_NO_DEFINITION = defer(ItemVersion.definition, raiseload=True)


@dataclass(frozen=True)
class Filters:
    region: str | None = None
    available_in: str | None = None
    department: str | None = None
    item_type: str | None = None
    service_object: str | None = None
    fully_online: bool | None = None
    life_event: str | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(f: Filters) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = [ItemVersion.is_current.is_(True)]
    if f.region:
        if not is_guangxi_region(f.region):
            raise InvalidQuery("region must be a Guangxi GB/T 2260 code (45xxxx)", parameter="region")
        conds.append(ItemVersion.region.like(region_prefix(f.region) + "%"))
    if f.available_in:
        if not is_guangxi_region(f.available_in):
            raise InvalidQuery("available_in must be a Guangxi GB/T 2260 code (45xxxx)", parameter="available_in")
        conds.append(ItemVersion.region.in_(ancestors(f.available_in)))
    if f.department:
        conds.append(ItemVersion.department_code == f.department)
    if f.item_type:
        conds.append(ItemVersion.item_type == f.item_type)
    if f.service_object:
        # "both" items serve citizens and enterprises alike.
        conds.append(ItemVersion.service_object.in_([f.service_object, "both"]))
    if f.fully_online is not None:
        conds.append(ItemVersion.fully_online.is_(f.fully_online))
    if f.life_event:
        conds.append(
            sa.exists().where(ItemLifeEvent.item_version_id == ItemVersion.id, ItemLifeEvent.life_event == f.life_event)
        )
    return conds


async def search_items(
    *, session: AsyncSession, q: str | None, filters: Filters, limit: int, cursor: str | None
) -> tuple[list[tuple[ItemVersion, int | None]], str | None]:
    """A page of (item, score) and the next cursor. Without ``q``: every match, ordered by code."""
    conds = _where(filters)
    query = normalise(q or "").strip()
    if not query:
        key = decode_cursor(cursor, c=str)
        stmt = sa.select(ItemVersion).options(_NO_DEFINITION).where(*conds)
        if key:
            stmt = stmt.where(ItemVersion.implementation_code > key["c"])
        found = (await session.scalars(stmt.order_by(ItemVersion.implementation_code).limit(limit + 1))).all()
        plain: list[tuple[ItemVersion, int | None]] = [(r, None) for r in found[:limit]]
        nxt = encode_cursor({"c": found[limit - 1].implementation_code}) if len(found) > limit else None
        return plain, nxt

    terms = sorted(query_terms(query))
    if not terms:
        raise InvalidQuery("the query has no searchable characters", parameter="q")
    needed = max(1, math.ceil(len(terms) / 2))
    terms.append(keyword_term(query))
    matched = (
        sa.select(
            ItemTerm.item_version_id.label("vid"),
            sa.func.sum(ItemTerm.weight).label("weight"),
            sa.func.count().label("hits"),
        )
        .where(ItemTerm.term.in_(terms))
        .group_by(ItemTerm.item_version_id)
        .subquery()
    )
    phrase = sa.case((sa.func.lower(ItemVersion.name).like(f"%{_escape_like(query)}%", escape="\\"), 10000), else_=0)
    score = (sa.cast(matched.c.weight * 100, sa.Integer) + phrase - sa.func.length(ItemVersion.name)).label("score")
    scored = (
        sa.select(ItemVersion.id.label("id"), ItemVersion.implementation_code.label("code"), score)
        .join(matched, matched.c.vid == ItemVersion.id)
        .where(*conds, matched.c.hits >= needed)
        .subquery()
    )
    stmt = sa.select(ItemVersion, scored.c.score).options(_NO_DEFINITION).join(scored, scored.c.id == ItemVersion.id)
    key = decode_cursor(cursor, s=int, c=str)
    if key:
        stmt = stmt.where(
            sa.or_(scored.c.score < key["s"], sa.and_(scored.c.score == key["s"], scored.c.code > key["c"]))
        )
    result = await session.execute(stmt.order_by(scored.c.score.desc(), scored.c.code).limit(limit + 1))
    rows: list[tuple[ItemVersion, int]] = [(r[0], int(r[1])) for r in result.all()]
    page: list[tuple[ItemVersion, int | None]] = list(rows[:limit])
    nxt = None
    if len(rows) > limit:
        last, last_score = rows[limit - 1]
        nxt = encode_cursor({"s": last_score, "c": last.implementation_code})
    return page, nxt


async def life_events(*, session: AsyncSession, region: str | None) -> list[tuple[str, int, int]]:
    """(life event, current items, current bundles) for browsing."""
    conds = _where(Filters(region=region))
    items: dict[str, int] = dict(
        (
            await session.execute(
                sa.select(ItemLifeEvent.life_event, sa.func.count())
                .join(ItemVersion, ItemVersion.id == ItemLifeEvent.item_version_id)
                .where(*conds)
                .group_by(ItemLifeEvent.life_event)
            )
        )
        .tuples()
        .all()
    )
    bconds: list[sa.ColumnElement[bool]] = [BundleVersion.is_current.is_(True)]
    if region:
        bconds.append(BundleVersion.region.like(region_prefix(region) + "%"))
    bundles: dict[str, int] = dict(
        (
            await session.execute(
                sa.select(BundleVersion.life_event, sa.func.count()).where(*bconds).group_by(BundleVersion.life_event)
            )
        )
        .tuples()
        .all()
    )
    names = sorted(set(items) | set(bundles))
    return [(n, int(items.get(n, 0)), int(bundles.get(n, 0))) for n in names]


async def departments(*, session: AsyncSession, region: str | None) -> list[tuple[str, str, int, int]]:
    """(department code, name, current items, fully online items) for browsing by department."""
    rows = (
        await session.execute(
            sa.select(
                ItemVersion.department_code,
                sa.func.min(ItemVersion.department_name),
                sa.func.count(),
                sa.func.sum(sa.case((ItemVersion.fully_online.is_(True), 1), else_=0)),
            )
            .where(*_where(Filters(region=region)))
            .group_by(ItemVersion.department_code)
            .order_by(sa.func.min(ItemVersion.department_name))
        )
    ).all()
    return [(c, n, int(t), int(o or 0)) for c, n, t, o in rows]


async def online_rate(*, session: AsyncSession, region: str, by: str) -> list[tuple[str, str | None, int, int]]:
    """网上可办率: (group key, label, items, fully online items) per region or department in ``region``."""
    col = ItemVersion.region if by == "region" else ItemVersion.department_code
    label = sa.func.min(ItemVersion.department_name) if by == "department" else sa.literal(None)
    rows = (
        await session.execute(
            sa.select(
                col,
                label,
                sa.func.count(),
                sa.func.sum(sa.case((ItemVersion.fully_online.is_(True), 1), else_=0)),
            )
            .where(*_where(Filters(region=region)))
            .group_by(col)
            .order_by(col)
        )
    ).all()
    return [(k, lb, int(t), int(o or 0)) for k, lb, t, o in rows]
