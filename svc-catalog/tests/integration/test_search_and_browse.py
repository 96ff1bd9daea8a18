"""Search quality on the seeded catalog, with the same expectations on PostgreSQL and on the embedded
SQLite default; browsing, figures and bundles; the seed is idempotent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from catalog.bundles.schemas import BundleDefinition
from catalog.main import create_app
from catalog.seed.loader import seed_demo
from catalog.settings import Settings
from gov_common.messaging import outbox_event
from gov_common.testing import fresh_pg_database, serve_lifespan
from gov_contracts import catalog as contract

# (query, names expected as the top results, in any order among themselves)
QUERIES: list[tuple[str, set[str]]] = [
    ("营业执照", {"内资有限公司设立登记", "个体工商户设立登记"}),
    ("食品经营", {"食品经营许可"}),
    ("出生医学证明", {"出生医学证明首次签发", "出生医学证明补发"}),
    ("身份证", {"居民身份证首次申领", "居民身份证换领"}),
    ("公积金", {"住房公积金提取", "住房公积金个人住房贷款"}),
    ("结婚", {"内地居民结婚登记"}),
    ("护照", {"普通护照签发"}),
    ("低保", {"最低生活保障对象认定"}),
    ("上户口", {"出生登记"}),
    ("网约车", {"网络预约出租汽车运输证核发"}),
    ("失业金", {"失业保险金申领"}),
    ("施工许可", {"建筑工程施工许可证核发"}),
    ("社保卡", {"社会保障卡申领"}),
    ("港澳", {"往来港澳通行证签发"}),
    ("开餐馆", {"食品经营许可"}),
    ("异地就医", {"异地就医备案"}),
    ("退休", {"基本养老金申领（退休）"}),
    ("教师资格", {"教师资格认定"}),
]

CATALOG_TYPES = {
    m.type for m in (contract.ItemPublished, contract.ItemWithdrawn, contract.BundlePublished, contract.BundleWithdrawn)
}


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
async def seeded(
    request: pytest.FixtureRequest, pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The demo catalog, seeded once per backend for this module's read-only tests."""
    settings: dict[str, Any] = {"data_dir": tmp_path_factory.mktemp("catalog"), "log_json": False, "demo_data": True}
    if request.param == "postgres":
        async with fresh_pg_database(pg_admin_dsn) as url:
            app = create_app(Settings(database_url=url, **settings))
            async with serve_lifespan(app) as client:
                yield client, app
    else:
        app = create_app(Settings(**settings))
        async with serve_lifespan(app) as client:
            yield client, app


async def test_search_quality_on_a_fixed_query_list(seeded: tuple[httpx.AsyncClient, FastAPI]) -> None:
    client, _ = seeded
    misses = []
    for query, expected in QUERIES:
        resp = await client.get("/v1/items", params={"q": query, "available_in": "450000", "limit": len(expected)})
        assert resp.status_code == 200, resp.text
        top = {i["name"] for i in resp.json()["items"]}
        if top != expected:
            misses.append((query, expected, top))
    assert misses == []


async def test_filters_and_cursor_pages(seeded: tuple[httpx.AsyncClient, FastAPI]) -> None:
    client, _ = seeded
    nanning = (await client.get("/v1/items", params={"q": "食品经营", "region": "450100"})).json()["items"]
    assert [(i["name"], i["region"], i["promised_days"]) for i in nanning] == [("食品经营许可", "450100", 3)]
    local = (await client.get("/v1/items", params={"q": "营业执照", "available_in": "450103", "limit": 10})).json()
    found = {(i["name"], i["region"]) for i in local["items"]}
    assert {("个体工商户设立登记", "450103"), ("内资有限公司设立登记", "450100")} <= found
    assert {region for _, region in found} == {"450000", "450100", "450103"}, "not Liuzhou's, not other counties'"

    online = (await client.get("/v1/items", params={"fully_online": "true", "limit": 100})).json()["items"]
    assert online and all(i["fully_online"] and i["online_level"] == "IV" for i in online)
    enterprise = (await client.get("/v1/items", params={"service_object": "enterprise", "limit": 100})).json()
    assert {i["service_object"] for i in enterprise["items"]} == {"enterprise", "both"}
    births = (await client.get("/v1/items", params={"life_event": "出生", "available_in": "450000"})).json()
    assert {"出生登记", "出生医学证明首次签发", "社会保障卡申领"} <= {i["name"] for i in births["items"]}
    permits = (await client.get("/v1/items", params={"item_type": "01", "limit": 100})).json()["items"]
    assert permits and {i["item_type"] for i in permits} == {"01"}

    for params in ({}, {"q": "证"}):
        seen: list[str] = []
        cursor = None
        while True:
            page = (
                await client.get("/v1/items", params={**params, "limit": 7, **({"cursor": cursor} if cursor else {})})
            ).json()
            seen += [i["implementation_code"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        everything = (await client.get("/v1/items", params={**params, "limit": 100})).json()["items"]
        assert seen == [i["implementation_code"] for i in everything]
        assert len(seen) == len(set(seen)) and len(seen) > 7


async def test_browse_by_life_event_and_department_and_online_rate(seeded: tuple[httpx.AsyncClient, FastAPI]) -> None:
    client, _ = seeded
    life = {e["life_event"]: e for e in (await client.get("/v1/life-events")).json()["items"]}
    assert {"出生", "上学", "就业", "开办企业", "退休"} <= set(life)
    assert life["出生"]["bundle_count"] == 2 and life["出生"]["item_count"] >= 5
    depts = (await client.get("/v1/departments", params={"region": "450000"})).json()["items"]
    market = next(d for d in depts if d["name"] == "广西壮族自治区市场监督管理局")
    items = (await client.get("/v1/items", params={"department": market["code"], "limit": 100})).json()["items"]
    assert len(items) == market["item_count"] == 8

    rate = (await client.get("/v1/stats/online-rate", params={"by": "department"})).json()
    assert rate["item_count"] == sum(r["item_count"] for r in rate["rows"])
    online = (await client.get("/v1/items", params={"fully_online": "true", "limit": 100})).json()["items"]
    assert rate["fully_online_count"] == len(online)
    assert rate["online_rate"] == round(len(online) / rate["item_count"], 4)
    schemas = (await client.get("/v1/events/schemas")).json()
    assert schemas["topic"] == "gov.catalog.items"
    assert set(schemas["types"]) == set(CATALOG_TYPES)
    assert "definition" in schemas["types"][contract.ItemPublished.type]["properties"]
    nanning = (await client.get("/v1/stats/online-rate", params={"region": "450100"})).json()
    assert nanning["rows"] == [
        {"key": "450100", "label": None, "item_count": 5, "fully_online_count": 5, "online_rate": 1.0},
        {"key": "450103", "label": None, "item_count": 1, "fully_online_count": 1, "online_rate": 1.0},
    ]


async def test_seeded_bundles_merge_materials_and_the_seed_is_idempotent(
    seeded: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, app = seeded
    bundles = (await client.get("/v1/bundles")).json()["items"]
    assert len(bundles) == 4
    newborn = (await client.get("/v1/bundles/YJS-450000-NEWBORN")).json()
    defn = BundleDefinition.model_validate(newborn["definition"])
    assert len(defn.items) == 4
    id_cards = [m for m in defn.materials if m.license_type == "居民身份证"]
    assert len(id_cards) == 1 and len(id_cards[0].used_by) >= 2
    # the one ID card stands for each item's own material (the mother's, the parents', the applicant's)
    assert {u.implementation_code for u in id_cards[0].satisfies} == set(id_cards[0].used_by)
    assert {"母亲居民身份证", "父母居民身份证", "居民身份证"} <= {u.name for u in id_cards[0].satisfies}
    assert {"baby_name", "baby_birth_date", "insured_person_name"} <= set(defn.form_schema["properties"])

    db = app.state.runtime.db
    async with db.transaction() as session:
        before = (await session.execute(sa.select(outbox_event.c.type))).scalars().all()
    for t in before:
        assert t in CATALOG_TYPES
    assert before.count(contract.BundlePublished.type) == 4
    async with db.transaction() as session:
        lines = await seed_demo(session, app.state.runtime.settings)
    async with db.transaction() as session:
        after = (await session.execute(sa.select(sa.func.count()).select_from(outbox_event))).scalar()
    assert after == len(before), "a second run publishes nothing"
    assert "57 published items" in lines[0]
