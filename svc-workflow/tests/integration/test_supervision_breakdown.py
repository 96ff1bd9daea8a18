"""GET /v1/supervision/breakdown: the supervision figures per department and per item (on-time rate, average
handling time, open yellow and red cases) for the workbench's charts. Supervisors of the region subtree
only; another region's is refused; bad input is problem+json."""

from __future__ import annotations

from ..conftest import CODE, LIUZHOU, LZ_MARKET, NN_MARKET, Env, submitted

ACCEPT = {"action": "accept", "opinion": "予以受理"}
PROBLEM = "application/problem+json"
URL = "/v1/supervision/breakdown"


async def test_on_time_rate_and_handling_time_per_department_and_item(env: Env) -> None:
    fast, slow, still_open = await env.submit(submitted()), await env.submit(submitted()), await env.submit(submitted())
    for case in (fast, slow):
        await env.act(case.id, "accept", "acceptor", ACCEPT)
        await env.act(case.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        if case is slow:
            env.clock.at = env.clock.at.replace(day=25)  # Wed 25 Feb: after the deadline
        await env.act(case.id, "decide", "approver", {"action": "approve", "opinion": "准予"})
        await env.act(case.id, "deliver", "acceptor", {"action": "complete", "opinion": "送达"})
    province = env.staff("supervisor", region="450000", department="11450000MB0000000X", subject="sup")
    swept = await env.client.post("/v1/supervision/evaluations", json={}, headers=province)
    assert swept.status_code == 200 and swept.json()["overdue"] >= 1  # the open case is past its deadline now

    supervisor = env.staff("supervisor", region="450100", subject="sup-nn")
    by_department = await env.client.get(URL, headers=supervisor)
    assert by_department.status_code == 200, by_department.text
    assert by_department.json()["by"] == "department" and by_department.json()["region"] == "450100"
    [row] = by_department.json()["items"]
    # fast: 0 working days; slow: Tue 10 -> Wed 25 Feb = 6 (as the summary counts them).
    assert (row["key"], row["total"], row["completed"], row["open_red"]) == (NN_MARKET, 3, 2, 1)
    assert row["on_time_rate"] == 0.5 and row["average_handling_working_days"] == 3.0
    assert row["name"] == still_open.department_name
    by_item = (await env.client.get(URL, params={"by": "item", "department": NN_MARKET}, headers=supervisor)).json()
    assert [(r["key"], r["total"], r["on_time_rate"]) for r in by_item["items"]] == [(CODE, 3, 0.5)]
    elsewhere = await env.client.get(URL, params={"department": LZ_MARKET}, headers=supervisor)
    assert elsewhere.json()["items"] == []


async def test_only_supervisors_of_the_region_see_it(env: Env) -> None:
    await env.submit(submitted())
    liuzhou = env.staff("supervisor", region=LIUZHOU, department=LZ_MARKET)
    refused = await env.client.get(URL, params={"region": "450100"}, headers=liuzhou)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    own = await env.client.get(URL, headers=liuzhou)
    assert own.status_code == 200 and own.json()["items"] == []  # Nanning's case is not Liuzhou's
    for headers in (env.staff("acceptor", "reviewer", "approver"), env.citizen()):
        resp = await env.client.get(URL, headers=headers)
        assert resp.status_code == 403 and resp.headers["content-type"] == PROBLEM


async def test_bad_input_is_problem_json(env: Env) -> None:
    supervisor = env.staff("supervisor", region="450100", subject="sup-nn")
    for params in ({"by": "applicant"}, {"region": "4501"}, {"region": "../x"}, {"department": "x' or 1=1"}):
        resp = await env.client.get(URL, params=params, headers=supervisor)
        assert resp.status_code in (400, 422), (params, resp.status_code)
        assert resp.headers["content-type"] == PROBLEM
