"""异地代收: a case a Liuzhou window accepted for Nanning's department is Nanning's to decide; the Liuzhou
window's department follows its status (not the applicant's data), acts on nothing but handing the result
over (the deliver step's task is theirs), and the trace shows both sides. A third region sees nothing.
Supervision counts it on both sides: accepted for others per accepting department, handled for others per
deciding department."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gov_contracts.application import Acceptance
from workflow.models import Task

from ..conftest import LIUZHOU, LZ_MARKET, NANNING, NN_MARKET, food_definition, submitted

LZ_HALL = "11450200MB0000001X"  # the Liuzhou hall's department (tokens carry any code)
GUILIN, GL_HALL = "450300", "11450300MB0000002X"
DONE = {"action": "complete", "opinion": "ok"}


async def test_liuzhou_accepts_nanning_decides_liuzhou_hands_over(pg_url: str, start_env: Any) -> None:
    async with start_env(pg_url) as env:
        await env.publish_item(food_definition())
        acceptance = Acceptance(region=LIUZHOU, department=LZ_HALL, acceptor="lz-window-1", hall_id=None)
        event = submitted(applicant=None, channel="hall").model_copy(update={"accepted_for": acceptance})
        case = await env.submit(event)
        assert (case.region, case.department) == (NANNING, NN_MARKET)
        assert (case.accepting_region, case.accepting_department) == (LIUZHOU, LZ_HALL)

        window = env.staff("acceptor", region=LIUZHOU, department=LZ_HALL, subject="lz-window-1")
        url = f"/v1/cases/{case.id}"
        seen = await env.client.get(url, headers=window)
        assert seen.status_code == 200, seen.text
        assert seen.json()["accepted_for"] == {"region": LIUZHOU, "department": LZ_HALL}
        assert seen.json()["applicant"] is None, "the accepting side sees the status, not the applicant's data"
        listed = (await env.client.get("/v1/cases", params={"accepted_here": "true"}, headers=window)).json()
        assert [c["id"] for c in listed["items"]] == [str(case.id)]
        assert (await env.client.get("/v1/cases", headers=window)).json()["items"] == [], "not its department's own"

        # Attack: the accepting side tries to act on the decision: it finds no task of the case to act on.
        accept_task = await env.open_task(case.id, "accept")
        assert (await env.client.post(f"/v1/tasks/{accept_task.id}/claim", headers=window)).status_code == 404
        inbox = (await env.client.get("/v1/tasks", headers=window)).json()["items"]
        assert inbox == []
        await env.act(case.id, "accept", "acceptor", {"action": "accept", "opinion": "予以受理"})
        await env.act(case.id, "review", "reviewer", DONE)
        decide = await env.open_task(case.id, "decide")
        approver_lz = env.staff("approver", region=LIUZHOU, department=LZ_HALL)
        assert (await env.client.post(f"/v1/tasks/{decide.id}/claim", headers=approver_lz)).status_code == 404
        assert (await env.client.post(f"{url}/take-back", headers=approver_lz)).status_code in (403, 404)
        decided = await env.act(case.id, "decide", "approver", {"action": "approve", "opinion": "准予许可"})
        assert (decided.json()["status"], decided.json()["decision"]) == ("delivering", "approved"), decided.text

        # The result goes back to the accepting window: the deliver task is Liuzhou's, not Nanning's.
        deliver = await env.open_task(case.id, "deliver")
        assert (deliver.department, deliver.region) == (LZ_HALL, LIUZHOU)
        nanning = env.staff("acceptor")
        assert (await env.client.post(f"/v1/tasks/{deliver.id}/claim", headers=nanning)).status_code == 404
        handed = await env.act(
            case.id, "deliver", "acceptor", {"action": "complete", "opinion": "已在柳州窗口交付"},
            region=LIUZHOU, department=LZ_HALL, subject="lz-window-1",
        )  # fmt: skip
        assert handed.status_code == 200 and handed.json()["status"] == "completed", handed.text

        trace = (await env.client.get(f"{url}/trace", headers=env.staff("reviewer"))).json()["entries"]
        opened = trace[0]
        assert opened["action"] == "submitted"
        assert opened["details"]["accepted_for"]["region"] == LIUZHOU
        assert opened["details"]["accepted_for"]["acceptor"] == "lz-window-1"
        assert opened["details"]["on_behalf_of"] == {"department": NN_MARKET, "region": NANNING}
        by_action = {e["action"]: e for e in trace}
        assert by_action["approve"]["department"] == NN_MARKET, "decided by the owning department"
        assert by_action["delivered"]["department"] == LZ_HALL, "handed over by the accepting window"
        assert (await env.client.get(f"{url}/trace", headers=window)).status_code == 200

        # A third region, and another department of Liuzhou, see nothing.
        for stranger in (
            env.staff("acceptor", "approver", region=GUILIN, department=GL_HALL),
            env.staff("acceptor", region=LIUZHOU, department=LZ_MARKET),
        ):
            assert (await env.client.get(url, headers=stranger)).status_code == 404
            assert (await env.client.get(f"{url}/trace", headers=stranger)).status_code == 404
            for accepted_here in ("false", "true"):
                page = await env.client.get("/v1/cases", params={"accepted_here": accepted_here}, headers=stranger)
                assert page.json()["items"] == []

        # Supervision counts both sides, each in its own region subtree.
        def figures(region: str) -> Any:
            return env.client.get(
                "/v1/supervision/summary", headers=env.staff("supervisor", region=region, department="x")
            )

        province = (await figures("450000")).json()["cross_region"]
        assert province["accepted_for_others"] == [{"department": LZ_HALL, "region": LIUZHOU, "cases": 1, "closed": 1}]
        assert province["handled_for_others"] == [{"department": NN_MARKET, "region": NANNING, "cases": 1, "closed": 1}]
        liuzhou = (await figures(LIUZHOU)).json()["cross_region"]
        assert (len(liuzhou["accepted_for_others"]), liuzhou["handled_for_others"]) == (1, [])
        nanning_figures = (await figures(NANNING)).json()["cross_region"]
        assert (nanning_figures["accepted_for_others"], len(nanning_figures["handled_for_others"])) == ([], 1)
        async with env.db.transaction() as session:
            tasks = list(await session.scalars(sa.select(Task).where(Task.case_id == case.id)))
        assert {t.kind: t.department for t in tasks} == {
            "accept": NN_MARKET,
            "review": NN_MARKET,
            "decide": NN_MARKET,
            "deliver": LZ_HALL,
        }
