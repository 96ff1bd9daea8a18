"""Aggregated usage (no personal data): item guide views and applications started, search terms. The
counts rank 高频事项 on the front page and are readable as statistics."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gov_common.db import Database
from gov_common.service_token import ServiceToken
from gov_standards.identifiers import might_identify
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
    if not term or might_identify(term):  # someone typed their ID or phone number: not kept
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


# Rows sent in one report at most (the catalog takes up to 1000 of each); the rest go in the next one.
REPORT_BATCH = 500
REPORT_PATH = "/api/catalog/v1/usage-reports"


def _unreported(table: sa.Table) -> Any:
    return sa.or_(table.c.reported_at.is_(None), table.c.last_at > table.c.reported_at)


async def report(db: Database, http: httpx.AsyncClient, token: ServiceToken) -> int:
    """Send the catalog the running totals of the rows that changed since they were last acknowledged, then
    mark them; how many rows were sent. Totals, not increments: a report that is lost, repeated, or sent by
    two replicas at once counts once there, so no lock between replicas is needed."""
    async with db.read() as session:
        items = (
            await session.execute(
                sa.select(item_usage).where(_unreported(item_usage)).order_by(item_usage.c.last_at).limit(REPORT_BATCH)
            )
        ).all()
        terms = (
            await session.execute(
                sa.select(search_term)
                .where(_unreported(search_term))
                .order_by(search_term.c.last_at)
                .limit(REPORT_BATCH)
            )
        ).all()
    # Terms kept before identifying ones were filtered out are never sent (and never marked).
    terms = [t for t in terms if not might_identify(t.term)]
    if not items and not terms:
        return 0
    body = {
        "items": [
            {"code": r.code, "name": r.name, "region": r.region[:6], "views": r.views, "applications": r.applications}
            for r in items
        ],
        "search_terms": {r.term: r.searches for r in terms},
    }
    resp = await http.put(REPORT_PATH, json=body, headers={"Authorization": f"Bearer {await token.get(http)}"})
    if resp.status_code == 401:
        token.forget()  # revoked or a key rotated: the next round fetches a new token
    resp.raise_for_status()
    async with db.transaction() as session:
        # Only up to what was sent: a count made meanwhile has a later last_at and goes in the next report.
        for table, key, rows in ((item_usage, "code", items), (search_term, "term", terms)):
            for row in rows:
                await session.execute(
                    sa.update(table)
                    .where(table.c[key] == getattr(row, key), _unreported(table))
                    .values(reported_at=row.last_at)
                )
    return len(items) + len(terms)


async def report_forever(db: Database, http: httpx.AsyncClient, token: ServiceToken, every: float) -> None:
    """:func:`report` every ``every`` seconds (at once again while a full batch was sent)."""
    while True:
        sent = 0
        try:
            sent = await report(db, http, token)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            log.warning("could not report usage to the catalog: %r", exc)
        except Exception:
            log.exception("reporting usage failed")
        if sent < REPORT_BATCH:
            await asyncio.sleep(every)
