"""The trace is append-only and hash-chained; supervision warns (yellow, red) and counts by region,
department and item; the working-day calendar is data an admin extends."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from gov_contracts.workflow import CaseAccepted, CaseApproved, SlaOverdue, SlaWarning
from workflow.models import Case

from ..conftest import CODE, LIUZHOU, LZ_MARKET, Env, food_definition, from_license, submitted, valid_form

ACCEPT = {"action": "accept", "opinion": "予以受理"}


async def test_chain_verification_detects_an_edited_or_deleted_row(env: Env) -> None:
    case = await env.submit(submitted())
    await env.act(case.id, "accept", "acceptor", ACCEPT)
    await env.act(case.id, "review", "reviewer", {"action": "complete", "opinion": "审查通过"})
    url = f"/v1/cases/{case.id}/trace/verification"
    headers = env.staff("reviewer")
    sound = (await env.client.get(url, headers=headers)).json()
    assert sound["valid"] is True and sound["entries"] >= 5
    # The database itself refuses edits ...
    with pytest.raises(DBAPIError, match="append-only"):
        async with env.db.transaction() as session:
            await session.execute(
                sa.text("UPDATE trace_entry SET opinion = 'x' WHERE case_id = :c").bindparams(c=case.id)
            )
    # ... and someone with the owner's rights who switches that off is still found out.
    async with env.db.transaction() as session:
        await session.execute(sa.text("ALTER TABLE trace_entry DISABLE TRIGGER USER"))
        await session.execute(
            sa.text("UPDATE trace_entry SET opinion = '材料不全' WHERE case_id = :c AND action = 'accept'").bindparams(
                c=case.id
            )
        )
    edited = (await env.client.get(url, headers=headers)).json()
    assert edited["valid"] is False and edited["problem"] == "the entry's content does not match its hash"
    async with env.db.transaction() as session:
        accept_seq = await session.scalar(
            sa.text("SELECT seq FROM trace_entry WHERE case_id = :c AND action = 'accept'").bindparams(c=case.id)
        )
        await session.execute(
            sa.text("UPDATE trace_entry SET opinion = '予以受理' WHERE case_id = :c AND action = 'accept'").bindparams(
                c=case.id
            )
        )
    assert edited["first_bad_seq"] == accept_seq
    assert (await env.client.get(url, headers=headers)).json()["valid"] is True
    async with env.db.transaction() as session:
        await session.execute(
            sa.text(
                "DELETE FROM trace_entry WHERE case_id = :c AND seq = (SELECT max(seq) FROM trace_entry WHERE case_id = :c)"
            ).bindparams(c=case.id)
        )
    truncated = (await env.client.get(url, headers=headers)).json()
    assert truncated["valid"] is False and "head" in truncated["problem"]


async def test_supervision_warns_then_marks_overdue(env: Env) -> None:
    case = await env.submit(submitted())  # opened Tue 10 Feb, deadline Fri 13 Feb
    await env.act(case.id, "accept", "acceptor", ACCEPT)
    supervisor = env.staff("supervisor", region="450000", department="11450000MB0000000X", subject="sup")
    # Thu 12 Feb: 2 of 3 working days used (67 %): not yet yellow at 80 %.
    quiet = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-12T10:00:00+08:00"}, headers=supervisor
    )
    assert quiet.status_code == 200 and quiet.json()["warned"] == 0
    yellow = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-13T10:00:00+08:00"}, headers=supervisor
    )
    assert (yellow.json()["warned"], yellow.json()["overdue"]) == (1, 0)
    # Sat 14 Feb is a make-up working day, so the case is late then; announced once.
    red = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-14T10:00:00+08:00"}, headers=supervisor
    )
    again = await env.client.post(
        "/v1/supervision/evaluations", json={"as_of": "2026-02-20T10:00:00+08:00"}, headers=supervisor
    )
    assert red.json()["overdue"] == 1 and again.json()["overdue"] == 0
    assert await env.event_types(case.id) == [CaseAccepted.type, SlaWarning.type, SlaOverdue.type]
    overdue = SlaOverdue.model_validate(await env.event_data(case.id, SlaOverdue.type))
    assert (overdue.deadline.isoformat(), overdue.stage) == ("2026-02-13", "reviewing")
    summary = (
        await env.client.get(f"/v1/supervision/summary?region=450100&item_code={CODE}", headers=supervisor)
    ).json()
    assert summary["open_by_level"] == {"green": 0, "yellow": 0, "red": 1} and summary["total"] == 1
    reds = (await env.client.get("/v1/supervision/cases?level=red", headers=supervisor)).json()["items"]
    assert [c["id"] for c in reds] == [str(case.id)]
    # A Liuzhou supervisor sees nothing of Nanning.
    liuzhou = env.staff("supervisor", region=LIUZHOU, department=LZ_MARKET)
    refused = await env.client.get("/v1/supervision/summary?region=450100", headers=liuzhou)
    assert refused.status_code == 403
    own = (await env.client.get("/v1/supervision/summary", headers=liuzhou)).json()
    assert own["total"] == 0
    assert (await env.client.get("/v1/supervision/summary", headers=env.staff("acceptor"))).status_code == 403


async def test_on_time_rate_and_average_handling_time(env: Env) -> None:
    fast, slow = await env.submit(submitted()), await env.submit(submitted())
    for case in (fast, slow):
        await env.act(case.id, "accept", "acceptor", ACCEPT)
        await env.act(case.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        if case is slow:
            env.clock.at = env.clock.at.replace(day=25)  # Wed 25 Feb: after the deadline
        await env.act(case.id, "decide", "approver", {"action": "approve", "opinion": "准予"})
        await env.act(case.id, "deliver", "acceptor", {"action": "complete", "opinion": "送达"})
    supervisor = env.staff("supervisor", region="450100", subject="sup")
    summary = (await env.client.get(f"/v1/supervision/summary?department={fast.department}", headers=supervisor)).json()
    # fast: 0 working days; slow: Tue 10 -> Wed 25 Feb = 11, 12, 13, 14 (make-up), 24, 25 = 6.
    assert summary["completed"] == 2 and summary["on_time_rate"] == 0.5
    assert summary["average_handling_working_days"] == 3.0


async def test_the_background_sweep_raises_warnings(pg_url: str, start_env: Any) -> None:
    async with start_env(pg_url, sla_sweep_enabled=True, sla_sweep_seconds=0.05) as env:
        await env.publish_item()
        case = await env.submit(submitted())
        env.clock.at = env.clock.at.replace(day=24)  # Tue 24 Feb: past Fri 13 Feb
        late = await env.wait(lambda s: s.scalar(sa.select(Case).where(Case.id == case.id, Case.sla_level == "red")))
        assert late.sla_level == "red"
        assert SlaOverdue.type in await env.event_types(case.id)


async def test_time_travel_is_off_unless_configured(pg_url: str, start_env: Any) -> None:
    async with start_env(pg_url, allow_time_travel=False) as env:
        supervisor = env.staff("supervisor", region="450100", subject="sup")
        refused = await env.client.post(
            "/v1/supervision/evaluations", json={"as_of": "2030-01-01T00:00:00+08:00"}, headers=supervisor
        )
        assert refused.status_code == 403 and refused.json()["type"].endswith(":time-travel-disabled")
        now = await env.client.post("/v1/supervision/evaluations", json={}, headers=supervisor)
        assert now.status_code == 200


async def test_smart_approval_decides_by_rules_and_a_person_can_take_back(pg_url: str, start_env: Any) -> None:
    definition = food_definition(smart_approval=True)
    licensed = [from_license(m.name, f"L-{i}") for i, m in enumerate(definition.materials)]
    async with start_env(pg_url) as env:
        await env.publish_item(definition)
        smart = await env.submit(submitted(materials=licensed))
        await env.act(smart.id, "accept", "acceptor", ACCEPT)
        reviewed = await env.act(smart.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        assert (reviewed.json()["status"], reviewed.json()["decision"]) == ("delivering", "approved")
        approved = CaseApproved.model_validate(await env.event_data(smart.id, CaseApproved.type))
        assert approved.decided_by == "smart-approval rule smart-approval-v1"
        trace = (await env.client.get(f"/v1/cases/{smart.id}/trace", headers=env.staff("reviewer"))).json()["entries"]
        fired = next(e for e in trace if e["action"] == "approve")
        assert fired["actor_kind"] == "rule" and {r["rule"] for r in fired["details"]["rules"]} == {
            "materials-from-verified-licenses",
            "form-meets-stated-conditions",
        }
        # A form that misses a stated condition goes to a person, and the trace says which rule declined.
        bad_form = {**valid_form(), "food_business_category": "烟花爆竹"}
        manual = await env.submit(submitted(materials=licensed, form=bad_form))
        await env.act(manual.id, "accept", "acceptor", ACCEPT)
        declined = await env.act(manual.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        assert declined.json()["status"] == "deciding"
        # An approver takes a case back before the rules run: a person decides it.
        taken = await env.submit(submitted(materials=licensed))
        refused = await env.client.post(f"/v1/cases/{taken.id}/take-back", headers=env.staff("reviewer"))
        assert refused.status_code == 403
        back = await env.client.post(f"/v1/cases/{taken.id}/take-back", headers=env.staff("approver"))
        assert back.status_code == 200
        await env.act(taken.id, "accept", "acceptor", ACCEPT)
        person = await env.act(taken.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        assert person.json()["status"] == "deciding"


async def test_admin_adds_a_year_to_the_calendar(env: Env) -> None:
    admin = env.staff("platform_admin", region="450000", subject="admin")
    year = {
        "holidays": ["2027-01-01", "2027-02-08"],
        "makeup_workdays": ["2027-02-06"],
        "source": "国务院办公厅通知（测试）",
    }
    assert (await env.client.put("/v1/calendar/2027", json=year, headers=env.staff("acceptor"))).status_code == 403
    bad = await env.client.put("/v1/calendar/2027", json={**year, "makeup_workdays": ["2027-02-03"]}, headers=admin)
    assert bad.status_code == 422 and bad.json()["type"].endswith(":invalid-calendar")
    assert (await env.client.get("/v1/calendar/2027", headers=admin)).status_code == 422
    created = await env.client.put("/v1/calendar/2027", json=year, headers=admin)
    replaced = await env.client.put("/v1/calendar/2027", json=year, headers=admin)
    assert (created.status_code, replaced.status_code) == (201, 200)
    # Fri 5 Feb 2027 + 1 working day: Sat 6 (make-up); + 2: Tue 9 (Mon 8 is off).
    one = await env.client.get("/v1/calendar/deadline?start=2027-02-05&days=1", headers=env.citizen())
    two = await env.client.get("/v1/calendar/deadline?start=2027-02-05&days=2", headers=env.citizen())
    assert (one.json()["deadline"], two.json()["deadline"]) == ("2027-02-06", "2027-02-09")
    stored = (await env.client.get("/v1/calendar/2026", headers=env.citizen())).json()
    assert "2026-02-17" in stored["holidays"] and "2026-02-28" in stored["makeup_workdays"]
    async with env.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
