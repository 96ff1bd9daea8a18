"""异地代收: whether other regions' windows may accept an item is an element of the item, checked whenever a
version is written, submitted or published: a region that covers the item's own (its windows accept it
anyway), a region listed twice, a region outside Guangxi, or an item whose result cannot go back by pickup or
mail is refused with a problem naming each, and nothing is written. A fitting one is published in
``catalog.item.published``; an implementation may not drop what the item it inherits allows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gov_contracts.catalog import ItemPublished


async def item_count(api: Any) -> int:
    async with api.app.state.runtime.db.transaction() as session:
        return int(await session.scalar(sa.text("SELECT count(*) FROM item_version")) or 0)


async def test_an_acceptance_that_does_not_fit_the_item_is_refused_and_changes_nothing(
    api: Any, food: dict[str, Any]
) -> None:
    wrong: list[tuple[dict[str, Any], str]] = [
        ({**food, "cross_region_acceptance": {"regions": ["450000"]}}, "covers the item's own region"),
        ({**food, "cross_region_acceptance": {"regions": ["450200", "450200"]}}, "listed once"),
        ({**food, "delivery": ["electronic"], "cross_region_acceptance": {}}, "goes back by pickup or mail"),
    ]
    for definition, reason in wrong:
        resp = await api.client.post("/v1/items", json={"definition": definition}, headers=api.editor())
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        body = resp.json()
        assert body["type"].endswith(":invalid-cross-region-acceptance") and reason in body["detail"], body
    for malformed in ({"regions": ["110000"]}, {"regions": ["4502"]}, {"everywhere": True}):
        resp = await api.client.post(
            "/v1/items", json={"definition": {**food, "cross_region_acceptance": malformed}}, headers=api.editor()
        )
        assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json", resp.text
    assert await item_count(api) == 0


async def test_a_fitting_acceptance_is_published_and_an_implementation_keeps_it(
    api: Any, food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    province = await api.create_published({**food, "cross_region_acceptance": {"regions": []}})
    async with api.app.state.runtime.db.transaction() as session:
        data = await session.scalar(
            sa.text("SELECT data FROM outbox_event WHERE type = :t AND subject = :c").bindparams(
                t=ItemPublished.type, c=province
            )
        )
    published = ItemPublished.read(data)
    assert published.definition.cross_region_acceptance is not None
    assert published.definition.cross_region_acceptance.regions == ()

    # Nanning's implementation may not take away what the province allows; it may name Liuzhou only...
    dropped = await api.client.post(
        "/v1/items", json={"inherits": province, "definition": nanning}, headers=api.editor("450100")
    )
    assert dropped.status_code == 422 and dropped.json()["type"].endswith(":catalog-inheritance-violation"), (
        dropped.text
    )
    assert any(v["field"] == "cross_region_acceptance" for v in dropped.json()["violations"])
    city = await api.create_published(
        {**nanning, "cross_region_acceptance": {"regions": ["450200"]}}, inherits=province, region="450100"
    )
    got = await api.client.get(f"/v1/items/{city}")
    assert got.json()["definition"]["cross_region_acceptance"] == {"regions": ["450200"]}
    # ...and a later draft naming Nanning itself is refused when written.
    new = await api.client.post(
        f"/v1/items/{city}/versions",
        json={"definition": {**nanning, "cross_region_acceptance": {"regions": ["450100"]}}},
        headers=api.editor("450100"),
    )
    assert new.status_code == 422 and new.json()["type"].endswith(":invalid-cross-region-acceptance"), new.text
