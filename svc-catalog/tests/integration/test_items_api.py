"""Items through the API on real PostgreSQL: lifecycle, immutability, inheritance, events, refusals."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import sqlalchemy as sa

from catalog.items.schemas import ItemDefinition
from catalog.models import ItemVersion
from gov_common.messaging import outbox_event
from gov_common.pagination import encode_cursor
from gov_contracts import catalog as contract


async def _outbox(api: Any) -> list[Any]:
    async with api.app.state.runtime.db.transaction() as session:
        return list((await session.execute(sa.select(outbox_event).order_by(outbox_event.c.seq))).all())


async def _versions(api: Any) -> int:
    async with api.app.state.runtime.db.transaction() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(ItemVersion)) or 0)


def _problem(resp: Any, status: int, slug: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert body["type"] == f"urn:gov-platform:problem:{slug}", body
    return body


async def test_draft_submit_publish_emits_the_whole_definition(api: Any, food: dict[str, Any]) -> None:
    code = await api.create(food)
    assert (await api.client.get(f"/v1/items/{code}")).status_code == 404, "a draft is not public"
    assert (await api.client.get(f"/v1/items/{code}/versions/1")).status_code == 404
    staff_view = await api.client.get(f"/v1/items/{code}/versions/1", headers=api.editor())
    assert staff_view.json()["status"] == "draft"
    # A token of the same editor without catalog.items.write (e.g. a third-party client) sees no draft.
    unscoped = api.issuer.headers("editor", kind="staff", roles=["catalog_editor"], region="450000", scopes=["openid"])
    assert (await api.client.get(f"/v1/items/{code}/versions/1", headers=unscoped)).status_code == 404
    assert (await api.client.get(f"/v1/items/{code}/versions", headers=unscoped)).status_code == 404

    published = await api.publish(code)
    assert published["status"] == "published" and published["current"] is True
    public = (await api.client.get(f"/v1/items/{code}")).json()
    assert public["definition"] == ItemDefinition.model_validate(food).model_dump(mode="json")
    assert public["online_level"] == "III" and public["fully_online"] is False

    rows = await _outbox(api)
    assert [(r.type, r.topic, r.subject) for r in rows] == [
        (contract.ItemPublished.type, contract.ItemPublished.topic, code)
    ]
    data = contract.ItemPublished.model_validate(rows[0].data)
    assert data.definition.time_limit.promised_days == 5
    assert data.definition.fees == () and len(data.definition.materials) == 4
    assert data.definition.form_schema == food["form_schema"]


async def test_a_published_version_never_changes_a_change_is_a_new_version(api: Any, food: dict[str, Any]) -> None:
    code = await api.create(food)
    await api.publish(code)
    before = (await api.client.get(f"/v1/items/{code}")).json()

    changed = copy.deepcopy(food)
    changed["time_limit"]["promised_days"] = 3
    put = await api.client.put(f"/v1/items/{code}/versions/1", json={"definition": changed}, headers=api.editor())
    _problem(put, 409, "catalog-version-immutable")
    assert (await api.client.get(f"/v1/items/{code}")).json() == before

    v2 = await api.client.post(f"/v1/items/{code}/versions", json={"definition": changed}, headers=api.editor())
    assert v2.status_code == 201, v2.text
    assert v2.json()["version"] == 2 and v2.json()["status"] == "draft"
    await api.publish(code, version=2)

    now = (await api.client.get(f"/v1/items/{code}")).json()
    assert now["version"] == 2 and now["definition"]["time_limit"]["promised_days"] == 3
    v1 = (await api.client.get(f"/v1/items/{code}/versions/1")).json()
    assert v1["current"] is False and v1["definition"] == before["definition"]
    assert [r.type for r in await _outbox(api)] == [contract.ItemPublished.type, contract.ItemPublished.type]


async def test_the_database_layer_refuses_to_change_a_published_definition(api: Any, food: dict[str, Any]) -> None:
    code = await api.create(food)
    await api.publish(code)
    db = api.app.state.runtime.db
    try:
        async with db.transaction() as session:
            row = await session.scalar(sa.select(ItemVersion).where(ItemVersion.implementation_code == code))
            row.definition = {**row.definition, "name": "改过的名字"}
        raise AssertionError("the change went through")
    except Exception as exc:
        assert "never changes" in str(exc)
    assert (await api.client.get(f"/v1/items/{code}")).json()["definition"]["name"] == "食品经营许可"


async def test_withdrawal_hides_the_item_and_emits_an_event(api: Any, food: dict[str, Any]) -> None:
    code = await api.create_published(food)
    assert (await api.client.get("/v1/items", params={"q": "食品经营"})).json()["items"]
    resp = await api.client.post(f"/v1/items/{code}/withdraw", headers=api.publisher())
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn"
    assert (await api.client.get(f"/v1/items/{code}")).status_code == 404
    assert (await api.client.get("/v1/items", params={"q": "食品经营"})).json()["items"] == []
    last = (await _outbox(api))[-1]
    assert last.type == contract.ItemWithdrawn.type
    assert contract.ItemWithdrawn.model_validate(last.data).implementation_code == code
    again = await api.client.post(f"/v1/items/{code}/withdraw", headers=api.publisher())
    _problem(again, 404, "catalog-item-not-found")


async def test_a_city_list_inherits_and_may_only_make_it_easier(
    api: Any, food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    parent = await api.create_published(food)

    harder = copy.deepcopy(nanning)
    harder["time_limit"]["promised_days"] = 7
    harder["materials"].append(
        {"name": "房屋产权证明", "required": True, "original_or_copy": "copy", "count": 1, "form": "paper"}
    )
    resp = await api.client.post(
        "/v1/items", json={"inherits": parent, "definition": harder}, headers=api.editor("450100")
    )
    body = _problem(resp, 422, "catalog-inheritance-violation")
    assert {v["field"] for v in body["violations"]} == {"time_limit.promised_days", "materials[房屋产权证明]"}
    assert "may only be shortened" in body["detail"]
    assert await _versions(api) == 1, "nothing was created"

    missing = await api.client.post("/v1/items", json={"definition": nanning}, headers=api.editor("450100"))
    _problem(missing, 422, "catalog-inherited-item-missing")

    code = await api.create_published(nanning, inherits=parent, region="450100")
    item = (await api.client.get(f"/v1/items/{code}")).json()
    assert item["inherits"] == parent and item["fully_online"] is True
    assert code.startswith("000112004000" + "450100000000")


async def test_writes_check_role_and_region(api: Any, food: dict[str, Any], nanning: dict[str, Any]) -> None:
    body = {"definition": food}
    _problem(await api.client.post("/v1/items", json=body), 401, "unauthenticated")
    citizen = api.issuer.headers("c-1", kind="citizen")
    _problem(await api.client.post("/v1/items", json=body, headers=citizen), 403, "insufficient-scope")
    _problem(await api.client.post("/v1/items", json=body, headers=api.publisher()), 403, "forbidden")
    _problem(
        await api.client.post("/v1/items", json=body, headers=api.editor("450100")), 403, "catalog-region-out-of-scope"
    )
    assert await _versions(api) == 0

    code = await api.create(food)
    _problem(await api.client.post(f"/v1/items/{code}/versions/1/submit", headers=api.publisher()), 403, "forbidden")
    await api.client.post(f"/v1/items/{code}/versions/1/submit", headers=api.editor())
    _problem(await api.client.post(f"/v1/items/{code}/versions/1/publish", headers=api.editor()), 403, "forbidden")
    # A Nanning publisher cannot publish the province's item; a provincial one cannot publish Nanning's.
    _problem(
        await api.client.post(f"/v1/items/{code}/versions/1/publish", headers=api.publisher("450100")),
        403,
        "catalog-region-out-of-scope",
    )
    await api.client.post(f"/v1/items/{code}/versions/1/publish", headers=api.publisher())
    city = await api.create(nanning, inherits=code, region="450100")
    await api.client.post(f"/v1/items/{city}/versions/1/submit", headers=api.editor("450000"))  # province covers it
    _problem(
        await api.client.post(f"/v1/items/{city}/versions/1/publish", headers=api.publisher("450000")),
        403,
        "catalog-region-out-of-scope",
    )
    _problem(
        await api.client.post(f"/v1/items/{city}/withdraw", headers=api.publisher("450100")),
        404,
        "catalog-item-not-found",
    )
    _problem(
        await api.client.post(f"/v1/items/{code}/withdraw", headers=api.publisher("450100")),
        403,
        "catalog-region-out-of-scope",
    )
    _problem(
        await api.client.post(f"/v1/items/{code}/versions", json=body, headers=api.editor("450200")),
        403,
        "catalog-region-out-of-scope",
    )
    assert [r.type for r in await _outbox(api)] == [contract.ItemPublished.type]


async def test_only_the_right_transitions(api: Any, food: dict[str, Any]) -> None:
    code = await api.create(food)
    _problem(
        await api.client.post(f"/v1/items/{code}/versions/1/publish", headers=api.publisher()),
        409,
        "catalog-invalid-transition",
    )
    await api.client.post(f"/v1/items/{code}/versions/1/submit", headers=api.editor())
    back = await api.client.post(f"/v1/items/{code}/versions/1/return", headers=api.publisher())
    assert back.json()["status"] == "draft"
    again = await api.client.post(f"/v1/items/{code}/versions", json={"definition": food}, headers=api.editor())
    _problem(again, 409, "catalog-invalid-transition")
    dup = await api.client.post("/v1/items", json={"definition": food}, headers=api.editor())
    _problem(dup, 409, "catalog-item-exists")


async def test_bad_input_is_a_problem_with_pointers_and_changes_nothing(api: Any, food: dict[str, Any]) -> None:
    bad = copy.deepcopy(food)
    bad["time_limit"]["promised_days"] = 30
    bad["form_schema"] = {"type": "object", "properties": {"x": {"type": "strnig"}}}
    bad["item_type"] = "99"
    resp = await api.client.post("/v1/items", json={"definition": bad}, headers=api.editor())
    body = _problem(resp, 422, "validation-error")
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/definition/time_limit", "/definition/form_schema", "/definition/item_type"} <= pointers
    assert await _versions(api) == 0
    _problem(await api.client.get("/v1/items", params={"cursor": "%%%"}), 400, "invalid-cursor")
    wrong_types = encode_cursor({"s": "high", "c": 1})
    _problem(await api.client.get("/v1/items", params={"q": "食品", "cursor": wrong_types}), 400, "invalid-cursor")
    _problem(await api.client.get("/v1/items", params={"region": "110000"}), 400, "catalog-invalid-query")


async def test_idempotency_key_replays_the_first_result(api: Any, food: dict[str, Any]) -> None:
    headers = api.editor() | {"Idempotency-Key": "k-1"}
    first = await api.client.post("/v1/items", json={"definition": food}, headers=headers)
    second = await api.client.post("/v1/items", json={"definition": food}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert second.json() == first.json() and second.headers["Location"] == first.headers["Location"]
    other = copy.deepcopy(food)
    other["keywords"] = ["别的"]
    _problem(
        await api.client.post("/v1/items", json={"definition": other}, headers=headers), 409, "idempotency-key-reused"
    )
    assert await _versions(api) == 1


async def test_form_data_is_checked_against_the_published_form(api: Any, food: dict[str, Any]) -> None:
    code = await api.create_published(food)
    good = {
        "enterprise_name": "南宁市老友粉餐饮有限公司",
        "credit_code": "91450100MA5K0000XX",
        "legal_representative": "张三",
        "phone": "13800000000",
        "business_address": "南宁市青秀区民族大道1号",
        "food_business_category": "餐饮服务",
    }
    ok = await api.client.post(f"/v1/items/{code}/form-validation", json={"data": good})
    assert ok.status_code == 200 and ok.json() == {"valid": True, "version": 1}
    bad = await api.client.post(
        f"/v1/items/{code}/form-validation", json={"data": good | {"food_business_category": "卖烟花", "phone": "1"}}
    )
    body = _problem(bad, 422, "catalog-form-data-invalid")
    assert {e["pointer"] for e in body["errors"]} == {"/food_business_category", "/phone"}
    # A missing required field is an error of the whole form: RFC 6901's root pointer is "", not "/".
    partial = {k: v for k, v in good.items() if k != "phone"}
    missing = _problem(
        await api.client.post(f"/v1/items/{code}/form-validation", json={"data": partial}),
        422,
        "catalog-form-data-invalid",
    )
    assert [e["pointer"] for e in missing["errors"]] == [""]


async def test_department_staff_act_for_their_department_only(api: Any, food: dict[str, Any]) -> None:
    other = api.issuer.headers(
        "health-editor", kind="staff", roles=["catalog_editor"], region="450000", department="11450000MBPY2ELKPD"
    )
    _problem(
        await api.client.post("/v1/items", json={"definition": food}, headers=other),
        403,
        "catalog-department-out-of-scope",
    )
    assert await _versions(api) == 0
    own = api.issuer.headers(
        "market-editor", kind="staff", roles=["catalog_editor"], region="450000", department=food["department"]["code"]
    )
    assert (await api.client.post("/v1/items", json={"definition": food}, headers=own)).status_code == 201


async def test_the_work_queue_shows_staff_what_waits_in_their_subtree(
    api: Any, food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    parent = await api.create_published(food)
    city = await api.create(nanning, inherits=parent, region="450100")
    await api.client.post(f"/v1/items/{city}/versions/1/submit", headers=api.editor("450100"))

    def queue(headers: dict[str, str], **params: Any) -> Any:
        return api.client.get("/v1/items/-/queue", params=params, headers=headers)

    nanning_queue = (await queue(api.publisher("450100"))).json()
    assert [(i["implementation_code"], i["status"]) for i in nanning_queue["items"]] == [(city, "submitted")]
    assert (await queue(api.publisher("450200"))).json()["items"] == []
    assert [i["implementation_code"] for i in (await queue(api.editor())).json()["items"]] == [city]
    assert (await queue(api.editor("450100"), status="draft")).json()["items"] == []
    _problem(await queue(api.issuer.headers("c-1", kind="citizen")), 403, "insufficient-scope")
    # A catalog role without the scope does not open the queue either.
    unscoped = api.issuer.headers("ed", kind="staff", roles=["catalog_editor"], region="450000", scopes=["openid"])
    _problem(await queue(unscoped), 403, "insufficient-scope")
    _problem(await api.client.get("/v1/items/-/queue"), 401, "unauthenticated")
    _problem(await queue(api.editor(), cursor="e30"), 400, "invalid-cursor")
    _problem(await queue(api.editor(), cursor=encode_cursor({"t": "yesterday", "i": "x"})), 400, "invalid-cursor")


async def test_concurrent_creates_give_one_item_and_no_server_error(api: Any, food: dict[str, Any]) -> None:
    same_key = api.editor() | {"Idempotency-Key": "race-1"}
    keyed = await asyncio.gather(
        *(api.client.post("/v1/items", json={"definition": food}, headers=same_key) for _ in range(6))
    )
    assert {r.status_code for r in keyed} == {201}
    assert len({r.json()["implementation_code"] for r in keyed}) == 1
    assert await _versions(api) == 1

    code = keyed[0].json()["implementation_code"]
    await api.client.post(f"/v1/items/{code}/versions/1/submit", headers=api.editor())
    await api.client.post(f"/v1/items/{code}/versions/1/publish", headers=api.publisher())
    racing = await asyncio.gather(
        *(
            api.client.post(f"/v1/items/{code}/versions", json={"definition": food}, headers=api.editor())
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in racing) == [201, 409, 409, 409], [r.text for r in racing]
    assert await _versions(api) == 2
