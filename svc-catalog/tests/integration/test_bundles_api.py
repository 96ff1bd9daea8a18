"""One-thing bundles through the API on PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from catalog.seed.loader import item_definition, seed_document
from gov_common.messaging import outbox_event
from gov_contracts import catalog as contract


def _seeded(basic_code: str) -> dict[str, Any]:
    doc = seed_document()
    return copy.deepcopy(item_definition(next(i for i in doc["items"] if i["basic_code"] == basic_code), doc))


async def test_bundle_lifecycle_with_merged_materials_and_events(api: Any) -> None:
    company = await api.create_published(_seeded("000112001000"))
    food = await api.create_published(_seeded("000112004000"))
    body = {
        "code": "YJS-450000-TEST",
        "name": "开办餐饮店“一件事”",
        "region": "450000",
        "life_event": "开办企业",
        "description": "一次办好营业执照和食品经营许可",
        "items": [company, food],
    }
    anonymous = await api.client.post("/v1/bundles", json=body)
    assert anonymous.status_code == 401
    wrong_region = await api.client.post("/v1/bundles", json=body, headers=api.editor("450100"))
    assert wrong_region.status_code == 403
    assert wrong_region.json()["type"].endswith("catalog-region-out-of-scope")

    created = await api.client.post("/v1/bundles", json=body, headers=api.editor() | {"Idempotency-Key": "b-1"})
    assert created.status_code == 201, created.text
    replay = await api.client.post("/v1/bundles", json=body, headers=api.editor() | {"Idempotency-Key": "b-1"})
    assert replay.status_code == 201 and replay.json() == created.json()
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.headers["Location"] == created.headers["Location"]
    reused = await api.client.post(
        "/v1/bundles", json={**body, "name": "另一个一件事"}, headers=api.editor() | {"Idempotency-Key": "b-1"}
    )
    assert reused.status_code == 409 and reused.json()["type"].endswith(":idempotency-key-reused")
    assert (await api.client.get("/v1/bundles/YJS-450000-TEST")).status_code == 404, "a draft is not public"

    submit = await api.client.post("/v1/bundles/YJS-450000-TEST/versions/1/submit", headers=api.editor())
    assert submit.json()["status"] == "submitted"
    refused = await api.client.post("/v1/bundles/YJS-450000-TEST/versions/1/publish", headers=api.editor())
    assert refused.status_code == 403
    published = await api.client.post("/v1/bundles/YJS-450000-TEST/versions/1/publish", headers=api.publisher())
    assert published.status_code == 200, published.text

    public = (await api.client.get("/v1/bundles/YJS-450000-TEST")).json()
    names = [m["name"] for m in public["definition"]["materials"]]
    assert len(names) == len(set(names))
    licence = [m for m in public["definition"]["materials"] if m["license_type"] == "营业执照"]
    assert licence and licence[0]["used_by"] == [food]
    assert public["definition"]["promised_days"] == 5

    withdrawn = await api.client.post("/v1/bundles/YJS-450000-TEST/withdraw", headers=api.publisher())
    assert withdrawn.json()["status"] == "withdrawn"
    async with api.app.state.runtime.db.transaction() as session:
        rows = (await session.execute(sa.select(outbox_event).order_by(outbox_event.c.seq))).all()
    bundle_events = [r for r in rows if r.type.startswith("catalog.bundle.")]
    assert [r.type for r in bundle_events] == [contract.BundlePublished.type, contract.BundleWithdrawn.type]
    assert (
        contract.BundlePublished.model_validate(bundle_events[0].data).definition.items[1].implementation_code == food
    )
    contract.BundleWithdrawn.model_validate(bundle_events[1].data)


async def test_a_bundle_needs_published_items_of_its_region(api: Any) -> None:
    company = await api.create_published(_seeded("000112001000"))
    draft = await api.create(_seeded("000112004000"))
    body = {
        "code": "YJS-450000-BAD",
        "name": "不完整的一件事",
        "region": "450000",
        "life_event": "开办企业",
        "description": "含未发布事项",
        "items": [company, draft],
    }
    resp = await api.client.post("/v1/bundles", json=body, headers=api.editor())
    assert resp.status_code == 422
    assert resp.json()["type"].endswith("catalog-bundle-invalid")
    assert resp.json()["problems"] == [f"{draft} has no published version"]
    assert (await api.client.get("/v1/bundles")).json()["items"] == []


async def test_a_bundle_whose_item_changed_before_publishing_is_redrafted_not_stuck(api: Any) -> None:
    company = await api.create_published(_seeded("000112001000"))
    food_definition = _seeded("000112004000")
    food = await api.create_published(food_definition)
    body = {
        "code": "YJS-450000-REDO",
        "name": "开办餐饮店“一件事”",
        "region": "450000",
        "life_event": "开办企业",
        "description": "一次办好营业执照和食品经营许可",
        "items": [company, food],
    }
    assert (await api.client.post("/v1/bundles", json=body, headers=api.editor())).status_code == 201
    await api.client.post("/v1/bundles/YJS-450000-REDO/versions/1/submit", headers=api.editor())

    # The food item gets a new version (shorter promised time) while the bundle waits for its publisher.
    food_definition["time_limit"]["promised_days"] -= 1
    v2 = await api.client.post(f"/v1/items/{food}/versions", json={"definition": food_definition}, headers=api.editor())
    assert v2.status_code == 201, v2.text
    await api.client.post(f"/v1/items/{food}/versions/2/submit", headers=api.editor())
    await api.client.post(f"/v1/items/{food}/versions/2/publish", headers=api.publisher())

    stale = await api.client.post("/v1/bundles/YJS-450000-REDO/versions/1/publish", headers=api.publisher())
    assert stale.status_code == 422 and stale.json()["changed"] is True
    redo = await api.client.post("/v1/bundles", json=body, headers=api.editor())
    assert redo.status_code == 201 and redo.json()["version"] == 2
    old = await api.client.get("/v1/bundles/YJS-450000-REDO/versions/1", headers=api.editor())
    assert old.json()["status"] == "superseded"
    await api.client.post("/v1/bundles/YJS-450000-REDO/versions/2/submit", headers=api.editor())
    published = await api.client.post("/v1/bundles/YJS-450000-REDO/versions/2/publish", headers=api.publisher())
    assert published.status_code == 200, published.text
    assert published.json()["definition"]["items"][1]["version"] == 2
