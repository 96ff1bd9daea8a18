"""An item's own smart-approval rule is checked against the item when a version is written and again when it
is published: a field the form lacks, a comparison the field cannot make, a value outside its enumeration, a
licence no material accepts, a rule without smart approval are refused with a problem naming each, and nothing
is written. A fitting rule is published in ``catalog.item.published``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gov_contracts.catalog import ItemPublished

RULE: dict[str, Any] = {
    "id": "food-sales-fast-track",
    "version": 1,
    "all_of": [
        {"field": "food_business_category", "op": "in", "value": ["食品销售"]},
        {"license_type": "营业执照"},
    ],
}


async def item_count(api: Any) -> int:
    async with api.app.state.runtime.db.transaction() as session:
        return int(await session.scalar(sa.text("SELECT count(*) FROM item_version")) or 0)


async def test_a_rule_that_does_not_fit_the_item_is_refused_and_changes_nothing(api: Any, food: dict[str, Any]) -> None:
    food["smart_approval"] = True
    wrong: list[tuple[dict[str, Any], str]] = [
        (
            {**RULE, "all_of": [{"field": "annual_turnover", "op": "at_least", "value": 1}]},
            "the form has no such field",
        ),
        ({**RULE, "all_of": [{"field": "enterprise_name", "op": "at_most", "value": 3}]}, "compares numbers"),
        (
            {**RULE, "all_of": [{"field": "food_business_category", "op": "equals", "value": "药品"}]},
            "not one the field",
        ),
        (
            {**RULE, "all_of": [{"field": "enterprise_name", "op": "equals", "value": 7}]},
            "does not fit the field's type",
        ),
        ({**RULE, "all_of": [{"license_type": "身份证"}]}, "no material of the item accepts"),
    ]
    for rule, reason in wrong:
        resp = await api.client.post(
            "/v1/items", json={"definition": {**food, "smart_approval_rule": rule}}, headers=api.editor()
        )
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["type"].endswith(":invalid-smart-approval-rule") and reason in resp.json()["detail"]
        assert resp.json()["violations"][0]["field"].startswith("smart_approval_rule")
    off = await api.client.post(
        "/v1/items",
        json={"definition": {**food, "smart_approval": False, "smart_approval_rule": RULE}},
        headers=api.editor(),
    )
    assert off.status_code == 422 and "needs smart_approval" in off.json()["detail"]
    # Malformed rules are refused by the shape alone (a condition naming neither a field nor a licence, ...).
    for rule in (
        {**RULE, "all_of": [{"op": "present"}]},
        {**RULE, "all_of": [{"field": "enterprise_name", "op": "in", "value": "x"}]},
        {**RULE, "all_of": []},
        {**RULE, "id": "Bad Id"},
    ):
        malformed = await api.client.post(
            "/v1/items", json={"definition": {**food, "smart_approval_rule": rule}}, headers=api.editor()
        )
        assert malformed.status_code == 422, malformed.text
    assert await item_count(api) == 0


async def test_a_fitting_rule_is_published_with_the_item(api: Any, food: dict[str, Any]) -> None:
    food["smart_approval"] = True
    code = await api.create_published({**food, "smart_approval_rule": RULE})
    async with api.app.state.runtime.db.transaction() as session:
        data = await session.scalar(
            sa.text("SELECT data FROM outbox_event WHERE type = :t AND subject = :c").bindparams(
                t=ItemPublished.type, c=code
            )
        )
    published = ItemPublished.read(data)
    assert published.definition.smart_approval_rule is not None
    assert (published.definition.smart_approval_rule.id, published.definition.smart_approval_rule.version) == (
        "food-sales-fast-track",
        1,
    )
    # A draft edited afterwards to a rule on a missing field cannot be submitted (nor published).
    new = await api.client.post(f"/v1/items/{code}/versions", json={"definition": food}, headers=api.editor())
    assert new.status_code == 201, new.text
    bad = {**food, "smart_approval_rule": {**RULE, "all_of": [{"field": "nope", "op": "present"}]}}
    edited = await api.client.put(f"/v1/items/{code}/versions/2", json={"definition": bad}, headers=api.editor())
    assert edited.status_code == 422 and edited.json()["type"].endswith(":invalid-smart-approval-rule")
