"""The staff inbox's filters (item, tracking number, case, applicant, deadline colour, mine) and its counts
per state: each filter only narrows what the staff member may see; staff of another city or department see
nothing and count nothing, whatever they filter by."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gov_contracts.application import ApplicationSubmitted
from workflow.models import Case

from ..conftest import CODE, LIUZHOU, LZ_MARKET, Env, submitted

OTHER_DEPARTMENT = "11450100MB0C1G2L3X"  # 南宁市城市管理综合行政执法局: same city, another department


def by(app: ApplicationSubmitted, name_masked: str, enterprise: str | None = None) -> ApplicationSubmitted:
    applicant = app.applicant.model_copy(update={"name_masked": name_masked, "enterprise": enterprise})
    return app.model_copy(update={"applicant": applicant})


async def inbox(env: Env, headers: dict[str, str], **params: Any) -> list[str]:
    resp = await env.client.get("/v1/tasks", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return sorted(t["tracking_number"] for t in resp.json()["items"])  # one clock instant: ordered by id


async def counts(env: Env, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    resp = await env.client.get("/v1/tasks/counts", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_filters_narrow_the_inbox_and_the_counts_follow(env: Env) -> None:
    zhang = await env.submit(by(submitted(), "张*"))
    li = await env.submit(by(submitted(), "李*", enterprise="91450100MA5L0XXXXX"))
    wang = await env.submit(by(submitted(), "王*"))
    async with env.db.transaction() as session:
        await session.execute(sa.update(Case).where(Case.id == wang.id).values(sla_level="red"))
    acceptor = env.staff("acceptor", subject="acceptor-a")
    everything = sorted([zhang.tracking_number, li.tracking_number, wang.tracking_number])
    assert await inbox(env, acceptor) == everything

    assert await inbox(env, acceptor, tracking_number=li.tracking_number) == [li.tracking_number]
    assert await inbox(env, acceptor, case_id=str(zhang.id)) == [zhang.tracking_number]
    assert await inbox(env, acceptor, applicant="李") == [li.tracking_number]
    assert await inbox(env, acceptor, applicant="91450100MA5L0XXXXX") == [li.tracking_number]
    assert await inbox(env, acceptor, applicant="%") == [], "a LIKE wildcard is a character, not a pattern"
    assert await inbox(env, acceptor, sla_level="red") == [wang.tracking_number]
    assert await inbox(env, acceptor, item_code=CODE) == everything
    assert await inbox(env, acceptor, item_code="000000000000-450100-none") == []
    listed = (await env.client.get("/v1/tasks", params={"applicant": "王"}, headers=acceptor)).json()["items"]
    assert [(t["sla_level"], t["applicant_name_masked"], t["item_code"], t["case_status"]) for t in listed] == [
        ("red", "王*", CODE, "accepting")
    ]

    assert await counts(env, acceptor) == {
        "open": 3,
        "claimed": 0,
        "claimed_by_me": 0,
        "by_sla_level": {"green": 2, "yellow": 0, "red": 1},
        "by_kind": {"accept": 3},
        "by_item": [{"item_code": CODE, "item_name": "食品经营许可", "count": 3}],
    }
    task = await env.open_task(li.id, "accept")
    assert (await env.client.post(f"/v1/tasks/{task.id}/claim", headers=acceptor)).status_code == 200
    colleague = env.staff("acceptor", subject="acceptor-b")
    assert (await counts(env, acceptor))["claimed_by_me"] == 1
    assert [(c["open"], c["claimed"], c["claimed_by_me"]) for c in [await counts(env, colleague)]] == [(2, 1, 0)]
    assert await inbox(env, acceptor, mine="true") == [li.tracking_number]
    assert await inbox(env, colleague, mine="true") == []
    assert (await counts(env, acceptor, sla_level="red"))["open"] == 1
    assert (await counts(env, acceptor, applicant="李"))["claimed"] == 1
    # Another role of the department: the acceptance tasks are not in its inbox, nor in its counts.
    assert (await counts(env, env.staff("approver")))["open"] == 0


async def test_no_filter_reaches_outside_the_department_and_region(env: Env) -> None:
    case = await env.submit(by(submitted(), "张*"))
    outsiders = [
        env.staff("acceptor", "reviewer", "approver", region=LIUZHOU, department=LZ_MARKET),
        env.staff("acceptor", region=LIUZHOU),  # the department's code, another city
        env.staff("acceptor", department=OTHER_DEPARTMENT),  # the city, another department
    ]
    for headers in outsiders:
        for params in ({}, {"tracking_number": case.tracking_number}, {"case_id": str(case.id)}, {"applicant": "张"}):
            assert await inbox(env, headers, **params) == [], params
            got = await counts(env, headers, **params)
            assert (got["open"], got["claimed"], sum(got["by_sla_level"].values())) == (0, 0, 0), params
            assert got["by_item"] == [] and got["by_kind"] == {}, params
    citizen = await env.client.get("/v1/tasks/counts", headers=env.citizen())
    assert citizen.status_code == 403
    bad = await env.client.get("/v1/tasks", params={"sla_level": "purple"}, headers=env.staff("acceptor"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert (await env.client.get("/v1/tasks/counts")).status_code == 401
