"""Handling guides (审查要点) through the API on real PostgreSQL: the item's editor writes them, staff of the
item's region line read and search them, and nobody else: another city's staff, a citizen, an editor of
another department or region, a stale revision, a forged code."""

from __future__ import annotations

from typing import Any

NN_MARKET = "11450100MBQH0Y21QM"


def _problem(resp: Any, status: int, slug: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["type"] == f"urn:gov-platform:problem:{slug}", resp.text


async def _items(api: Any, food: dict[str, Any], nanning: dict[str, Any]) -> tuple[str, str]:
    province = await api.create_published(food)
    city = await api.create_published(nanning, inherits=province, region="450100")
    return province, city


async def test_the_editor_writes_a_guide_and_staff_of_the_region_line_read_and_search_it(
    api: Any, food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    province, city = await _items(api, food, nanning)
    editor = api.editor("450100")
    path = f"/v1/items/{city}/review-guide"
    assert (await api.client.get(path, headers=editor)).status_code == 404  # none yet

    first = await api.client.put(
        path, json={"text": "核对营业执照经营范围\n核对场所平面图", "expected_revision": 0}, headers=editor
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["revision"] == 1 and body["item_name"] == nanning["name"] and body["region"] == "450100"
    assert body["updated_by"] == "staff-450100-catalog_editor"

    # A second editor who started from revision 0 would overwrite the first: refused, nothing changed.
    stale = await api.client.put(path, json={"text": "覆盖", "expected_revision": 0}, headers=editor)
    _problem(stale, 409, "catalog-review-guide-changed")
    assert stale.json()["current_revision"] == 1
    second = await api.client.put(
        path, json={"text": "核对场所平面图\n核对健康证明", "expected_revision": 1}, headers=editor
    )
    assert second.json()["revision"] == 2

    reviewer = api.staff("reviewer", region="450100")
    read = await api.client.get(path, headers=reviewer)
    assert read.status_code == 200 and read.json()["text"] == "核对场所平面图\n核对健康证明"
    # The province's staff see their subtree's guides; a county's staff the guides of the regions above.
    assert (await api.client.get(path, headers=api.staff("reviewer", region="450000"))).status_code == 200
    assert (await api.client.get(path, headers=api.staff("reviewer", region="450103"))).status_code == 200

    found = await api.client.get("/v1/review-guides", params={"q": "健康证明"}, headers=reviewer)
    assert [g["implementation_code"] for g in found.json()["items"]] == [city]
    by_name = await api.client.get("/v1/review-guides", params={"q": "食品"}, headers=reviewer)
    assert [g["implementation_code"] for g in by_name.json()["items"]] == [city]
    nothing = await api.client.get("/v1/review-guides", params={"q": "100%_"}, headers=reviewer)
    assert nothing.json()["items"] == []  # % and _ are text, not wildcards

    # The province's own guide: written by a provincial editor, listed for Nanning's staff too.
    put = await api.client.put(
        f"/v1/items/{province}/review-guide", json={"text": "全省通用审查要点"}, headers=api.editor()
    )
    assert put.status_code == 200, put.text
    listed = await api.client.get("/v1/review-guides", params={"limit": 1}, headers=reviewer)
    assert len(listed.json()["items"]) == 1 and listed.json()["next_cursor"]
    rest = await api.client.get(
        "/v1/review-guides", params={"limit": 1, "cursor": listed.json()["next_cursor"]}, headers=reviewer
    )
    codes = {listed.json()["items"][0]["implementation_code"], rest.json()["items"][0]["implementation_code"]}
    assert codes == {province, city} and rest.json()["next_cursor"] is None


async def test_nobody_outside_the_items_line_reads_or_writes_its_guide(
    api: Any, food: dict[str, Any], nanning: dict[str, Any]
) -> None:
    _, city = await _items(api, food, nanning)
    path = f"/v1/items/{city}/review-guide"
    assert (await api.client.put(path, json={"text": "核对要点"}, headers=api.editor("450100"))).status_code == 200

    # Another city's staff: the guide reads as not there, and is not listed.
    liuzhou = api.staff("reviewer", "catalog_editor", region="450200")
    _problem(await api.client.get(path, headers=liuzhou), 404, "catalog-review-guide-not-found")
    assert (await api.client.get("/v1/review-guides", headers=liuzhou)).json()["items"] == []
    # ... nor may its editor (or a reviewer, or an editor of another department of the city) write it.
    _problem(await api.client.put(path, json={"text": "改"}, headers=liuzhou), 403, "catalog-region-out-of-scope")
    reviewer = api.staff("reviewer", region="450100")
    assert (await api.client.put(path, json={"text": "改"}, headers=reviewer)).status_code == 403
    other_department = api.issuer.headers(
        "nn-police-editor", kind="staff", roles=["catalog_editor"], region="450100", department="11450100MB725PY8DX"
    )
    _problem(
        await api.client.put(path, json={"text": "改"}, headers=other_department),
        403,
        "catalog-department-out-of-scope",
    )
    same_department = api.issuer.headers(
        "nn-market-editor", kind="staff", roles=["catalog_editor"], region="450100", department=NN_MARKET
    )
    assert (await api.client.put(path, json={"text": "本部门改"}, headers=same_department)).status_code == 200

    # A citizen, no token, a token without the scope, a forged code, an empty text.
    citizen = api.issuer.headers("citizen-1", kind="citizen")
    assert (await api.client.get(path, headers=citizen)).status_code == 403
    assert (await api.client.get("/v1/review-guides", headers=citizen)).status_code == 403
    assert (await api.client.get(path)).status_code == 401
    unscoped = api.issuer.headers("r", kind="staff", roles=["reviewer"], region="450100", scopes=["openid"])
    assert (await api.client.get(path, headers=unscoped)).status_code == 403
    forged = f"/v1/items/{city[:-1]}9/review-guide"
    _problem(
        await api.client.put(forged, json={"text": "x"}, headers=api.editor("450100")), 404, "catalog-item-not-found"
    )
    assert (await api.client.put(path, json={"text": "   "}, headers=api.editor("450100"))).status_code == 422
    assert (await api.client.get(path, headers=reviewer)).json()["text"] == "本部门改"
