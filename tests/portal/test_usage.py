"""Aggregated usage on real PostgreSQL and SQLite: views and applications rank 高频事项 for a region (its
own items and its ancestors'), search terms are counted; no personal data is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from catalog.main import create_app as create_catalog
from catalog.settings import Settings as CatalogSettings
from gov_common.db import Database
from gov_common.service_token import ServiceToken
from gov_common.testing import TestIssuer, database_with, fresh_pg_database
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
    assert columns == {"code", "name", "region", "views", "applications", "last_at", "reported_at"}, "nothing about who"
    assert len(rows) == 3


async def test_search_terms_are_counted_trimmed_and_bounded(db: Database) -> None:
    await usage.count_search(db, " 食品经营 ")
    await usage.count_search(db, "食品经营")
    await usage.count_search(db, "   ")
    await usage.count_search(db, "长" * 80)
    stats = await usage.statistics(db)
    assert stats["search_terms"][0] == {"term": "食品经营", "searches": 2}
    assert {len(t["term"]) for t in stats["search_terms"]} == {4, 50}


async def test_an_identifying_search_term_is_never_counted(db: Database) -> None:
    for typed in ("450102199001011231", "我的手机 138 0000 0001", "食品经营"):
        await usage.count_search(db, typed)
    stats = await usage.statistics(db)
    assert [t["term"] for t in stats["search_terms"]] == ["食品经营"]


@pytest.fixture
async def catalog(pg_admin_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, TestIssuer]]:
    """The real svc-catalog (on PostgreSQL) under /api/catalog and a token endpoint under /api/identity, as
    the portal reaches them through the gateway."""
    issuer = TestIssuer()
    handed_out: list[str] = []

    async def token(request: Request) -> JSONResponse:
        client_id = request.headers.get("authorization", "")  # Basic credentials: any, for this test
        assert client_id.startswith("Basic ")
        access = issuer.token(
            "gov-portal-usage", kind="system", scopes=["catalog.usage.report"], client_id="gov-portal-usage"
        )
        handed_out.append(access)
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 300})

    async with fresh_pg_database(pg_admin_dsn) as url:
        app = create_catalog(CatalogSettings(database_url=url, data_dir=tmp_path, log_json=False))
        issuer.install(app)
        gateway = Starlette(routes=[Route("/api/identity/token", token, methods=["POST"]), Mount("/api/catalog", app)])
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                http.handed_out = handed_out  # type: ignore[attr-defined]
                yield http, issuer


async def _figures(http: httpx.AsyncClient, issuer: TestIssuer) -> dict[str, Any]:
    staff = issuer.headers("gx-supervisor", kind="staff", roles=["supervisor"], region="450000")
    resp = await http.get("/api/catalog/v1/usage-statistics", headers=staff)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_counts_reach_the_catalog_once_and_only_what_changed_is_sent_again(
    db: Database, catalog: tuple[httpx.AsyncClient, TestIssuer]
) -> None:
    http, issuer = catalog
    token = ServiceToken(
        client_id="gov-portal-usage", client_secret="s", scope="catalog.usage.report", endpoint="/api/identity/token"
    )
    for _ in range(3):
        await usage.count_item(db, code="NN-FOOD", name="食品经营许可", region="450100")
    await usage.count_item(db, code="GX-BIRTH", name="出生登记", region="450000", applied=True)
    for _ in range(3):
        await usage.count_search(db, "食品经营")
    assert await usage.report(db, http, token) == 3
    assert await usage.report(db, http, token) == 0, "nothing changed: nothing is sent"
    await usage.count_item(db, code="NN-FOOD", name="食品经营许可", region="450100")
    assert await usage.report(db, http, token) == 1, "only the row counted since"
    figures = await _figures(http, issuer)
    assert {r["code"]: (r["views"], r["applications"]) for r in figures["top_items"]} == {
        "NN-FOOD": (4, 0),
        "GX-BIRTH": (0, 1),
    }
    assert figures["search_terms"] == [{"term": "食品经营", "searches": 3}]
    # The rows were marked as sent: a report of the same totals again (a second replica, a lost answer) would
    # not change the catalog's figures, since it keeps totals.
    async with db.transaction() as session:
        await session.execute(sa.update(item_usage).values(reported_at=None))
    assert await usage.report(db, http, token) == 2
    assert (await _figures(http, issuer))["views"] == 4
    assert len(http.handed_out) == 1, "one token for every report while it lives"  # type: ignore[attr-defined]


async def test_a_refused_report_marks_nothing_and_drops_the_token(
    db: Database, catalog: tuple[httpx.AsyncClient, TestIssuer]
) -> None:
    http, issuer = catalog
    token = ServiceToken(
        client_id="gov-portal-usage", client_secret="s", scope="catalog.usage.report", endpoint="/api/identity/token"
    )
    await usage.count_item(db, code="NN-FOOD", name="食品经营许可", region="450100")
    token._token, token._until = "forged", float("inf")  # a token the catalog does not accept
    with pytest.raises(httpx.HTTPStatusError):
        await usage.report(db, http, token)
    assert not token._token, "the refused token is forgotten"
    assert await usage.report(db, http, token) == 1, "the row was not marked: the next report sends it"
    assert (await _figures(http, issuer))["views"] == 1
