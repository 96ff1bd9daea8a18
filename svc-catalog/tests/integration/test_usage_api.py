"""Usage statistics on real PostgreSQL: front-ends report running totals (retries and replicas count once,
identifying terms are dropped), staff of the right roles read them within their region, anyone reads the
popular items of a region; every refusal changes nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from catalog.models import SearchUsage

REPORT = "catalog.usage.report"


def _system(api: Any, client_id: str = "gov-portal-usage", scopes: tuple[str, ...] = (REPORT,)) -> dict[str, str]:
    return api.issuer.headers(client_id, kind="system", scopes=scopes, client_id=client_id)


def _report(**items: tuple[int, int]) -> dict[str, Any]:
    region = {"food-nn": "450100", "food-gx": "450000", "food-lz": "450200"}
    return {
        "items": [
            {"code": code, "name": f"事项 {code}", "region": region[code], "views": v, "applications": a}
            for code, (v, a) in items.items()
        ]
    }


async def _stats(api: Any, headers: dict[str, str], **params: Any) -> Any:
    resp = await api.client.get("/v1/usage-statistics", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_totals_are_kept_once_whatever_the_order_and_summed_over_front_ends(either_api: Any) -> None:
    api = either_api
    portal = _system(api)
    first = await api.client.put("/v1/usage-reports", json=_report(**{"food-nn": (5, 1)}), headers=portal)
    assert first.status_code == 200, first.text
    assert first.json() == {"source": "gov-portal-usage", "items": 1, "search_terms": 0, "dropped_terms": 0}
    # A retry of the same report, a newer one, then an older one arriving late: the largest totals stay.
    for views, apps in ((5, 1), (9, 2), (7, 1)):
        resp = await api.client.put("/v1/usage-reports", json=_report(**{"food-nn": (views, apps)}), headers=portal)
        assert resp.status_code == 200, resp.text
    # A second front-end (a mobile app) reports its own totals: they add up.
    app = _system(api, "gov-mobile-usage")
    await api.client.put("/v1/usage-reports", json=_report(**{"food-nn": (1, 0), "food-gx": (4, 0)}), headers=app)
    figures = await _stats(api, api.staff("supervisor", region="450000"))
    by_code = {row["code"]: row for row in figures["top_items"]}
    assert by_code["food-nn"]["views"] == 10 and by_code["food-nn"]["applications"] == 2
    assert figures["views"] == 14 and figures["applications"] == 2 and figures["sources"] == 2
    # Ranked by views plus ten per application: food-nn (30) before food-gx (4).
    assert [row["code"] for row in figures["top_items"]] == ["food-nn", "food-gx"]


async def test_identifying_and_rare_terms_are_never_shown(api: Any) -> None:
    terms = {"食品经营许可": 7, "出生一件事": 2, "450102199001011231": 9, "138 0000 0001": 4, "a@b.cn": 3}
    resp = await api.client.put("/v1/usage-reports", json={"search_terms": terms}, headers=_system(api))
    assert resp.status_code == 200, resp.text
    assert resp.json()["search_terms"] == 2 and resp.json()["dropped_terms"] == 3
    figures = await _stats(api, api.staff("catalog_editor", region="450000"))
    assert figures["search_terms"] == [{"term": "食品经营许可", "searches": 7}]  # 出生一件事: fewer than three
    assert figures["searches"] == 9
    # The dropped terms were not stored at all, whatever the threshold.
    async with api.app.state.runtime.db.read() as session:
        stored = set((await session.execute(sa.select(SearchUsage.term))).scalars())
    assert stored == {"食品经营许可", "出生一件事"}


async def test_staff_see_their_region_subtree_only(api: Any) -> None:
    await api.client.put(
        "/v1/usage-reports",
        json=_report(**{"food-nn": (3, 0), "food-lz": (6, 0), "food-gx": (2, 0)}),
        headers=_system(api),
    )
    nanning = await _stats(api, api.staff("supervisor", region="450100"))
    assert nanning["region"] == "450100" and [r["code"] for r in nanning["top_items"]] == ["food-nn"]
    province = await _stats(api, api.staff("supervisor", region="450000"), region="450200")
    assert [r["code"] for r in province["top_items"]] == ["food-lz"]
    # Another region's figures, a region outside Guangxi, and a staff member without a reader's role.
    other = await api.client.get(
        "/v1/usage-statistics", params={"region": "450200"}, headers=api.staff("supervisor", region="450100")
    )
    assert other.status_code == 403 and other.json()["type"].endswith("catalog-region-out-of-scope")
    bad = await api.client.get("/v1/usage-statistics", params={"region": "110000"}, headers=api.staff("supervisor"))
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    clerk = await api.client.get("/v1/usage-statistics", headers=api.staff("acceptor", region="450100"))
    assert clerk.status_code == 403


async def test_who_may_report_and_bad_reports_change_nothing(api: Any) -> None:
    good = _report(**{"food-nn": (3, 0)})
    # A person's token (even staff), a system without the scope, no token at all.
    assert (
        await api.client.put("/v1/usage-reports", json=good, headers=api.staff("platform_admin"))
    ).status_code == 403
    citizen = api.issuer.headers("c-1", kind="citizen", scopes=[REPORT])
    assert (await api.client.put("/v1/usage-reports", json=good, headers=citizen)).status_code == 403
    no_scope = _system(api, scopes=("catalog.items.write",))
    assert (await api.client.put("/v1/usage-reports", json=good, headers=no_scope)).status_code == 403
    assert (await api.client.put("/v1/usage-reports", json=good)).status_code == 401
    # Negative counts, a region outside Guangxi, a code with a path trick, an over-long term, too many rows.
    bad_bodies: list[dict[str, Any]] = [
        {"items": [{**good["items"][0], "views": -1}]},
        {"items": [{**good["items"][0], "region": "110000"}]},
        {"items": [{**good["items"][0], "code": "../x"}]},
        {"search_terms": {"长" * 51: 3}},
        {"search_terms": {f"t{i}": 1 for i in range(1001)}},
    ]
    for body in bad_bodies:
        resp = await api.client.put("/v1/usage-reports", json=body, headers=_system(api))
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    figures = await _stats(api, api.staff("supervisor"))
    assert figures["top_items"] == [] and figures["views"] == 0


async def test_popular_items_of_a_region_are_public(api: Any) -> None:
    await api.client.put(
        "/v1/usage-reports",
        json=_report(**{"food-nn": (3, 0), "food-lz": (50, 5), "food-gx": (1, 1)}),
        headers=_system(api),
    )
    resp = await api.client.get("/v1/stats/popular-items", params={"region": "450102"})
    assert resp.status_code == 200, resp.text
    # Someone in a Nanning district is offered Nanning's and the province's items, not Liuzhou's.
    assert [(r["code"], r["score"]) for r in resp.json()["items"]] == [("food-gx", 11), ("food-nn", 3)]
    bad = await api.client.get("/v1/stats/popular-items", params={"region": "../x"})
    assert bad.status_code == 400
