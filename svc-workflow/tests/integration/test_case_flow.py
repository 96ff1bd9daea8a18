"""A case from submission to completion on PostgreSQL: acceptance, supplement (clock stopped), review,
decision, fees (clock stopped while paying), delivery; refusal; rejection; withdrawal; countersigning."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from gov_contracts.testing import FOOD_LICENCE
from gov_contracts.workflow import (
    CaseAccepted,
    CaseApproved,
    CaseCompleted,
    CaseRefused,
    CaseRejected,
    CaseWithdrawn,
    FeeRequested,
    SupplementRequested,
)
from workflow.models import Case, Task
from workflow.trace import utc

from ..conftest import (
    CODE,
    START,
    Env,
    food_definition,
    food_process,
    from_license,
    later,
    order_paid,
    submitted,
    supplemented,
    withdrawn,
)

ACCEPT = {"action": "accept", "opinion": "材料齐全，予以受理"}
REVIEWED = {"action": "complete", "opinion": "审查通过"}
APPROVE = {"action": "approve", "opinion": "准予许可"}
DELIVER = {"action": "complete", "opinion": "已送达电子证照"}


async def test_accept_review_approve_deliver(env: Env) -> None:
    case = await env.submit(submitted())
    assert (case.status, case.department, case.region) == ("accepting", "11450100MBQH0Y21QM", "450100")
    # Opened Tue 10 Feb 2026, 3 working days promised: Wed 11, Thu 12, Fri 13.
    assert case.deadline.isoformat() == "2026-02-13"
    assert (await env.act(case.id, "accept", "acceptor", ACCEPT)).json()["status"] == "reviewing"
    assert (await env.act(case.id, "review", "reviewer", REVIEWED)).json()["status"] == "deciding"
    assert (await env.act(case.id, "decide", "approver", APPROVE)).json()["status"] == "delivering"
    done = await env.act(case.id, "deliver", "acceptor", DELIVER)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["decision"]) == ("completed", "approved")
    assert await env.event_types(case.id) == [CaseAccepted.type, CaseApproved.type, CaseCompleted.type]
    approved = CaseApproved.model_validate(await env.event_data(case.id, CaseApproved.type))
    assert approved.result_license_type == "食品经营许可证" and approved.holder.name == "张*"
    completed = CaseCompleted.model_validate(await env.event_data(case.id, CaseCompleted.type))
    assert completed.result == "approved" and len(completed.handled_by) == 3  # acceptor, reviewer, approver


async def test_supplement_stops_the_clock_across_the_spring_festival(env: Env) -> None:
    app = submitted()
    case = await env.submit(app)
    later(env.clock, 1)  # Wed 11 Feb
    resp = await env.act(
        case.id,
        "accept",
        "acceptor",
        {
            "action": "request_supplement",
            "opinion": "请补正",
            "missing": [{"material": "营业执照", "reason": "未上传"}],
        },
    )
    assert resp.json()["status"] == "supplementing" and resp.json()["clock_stopped"] is True
    requested = SupplementRequested.model_validate(await env.event_data(case.id, SupplementRequested.type))
    assert requested.missing[0].material == "营业执照"
    later(env.clock, 15)  # Thu 26 Feb: waited Thu 12, Fri 13, Sat 14 (make-up), Tue 24, Wed 25, Thu 26
    await env.send(supplemented(app, case, env.clock.now(), [from_license("营业执照", "L1")]))
    resumed = await env.case_of(app.application_id, status="accepting")
    assert resumed.paused_days == 6
    # Fri 13 Feb moved by 6 working days: Sat 14 (make-up), Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 (make-up).
    assert resumed.deadline.isoformat() == "2026-02-28"
    assert {m["name"] for m in resumed.materials} == {"食品经营许可申请书", "营业执照"}
    assert (await env.act(case.id, "accept", "acceptor", ACCEPT)).json()["status"] == "reviewing"
    accepted = CaseAccepted.model_validate(await env.event_data(case.id, CaseAccepted.type))
    assert accepted.deadline.isoformat() == "2026-02-28"


async def test_fees_stop_the_clock_until_paid(pg_url: str, start_env: Any) -> None:
    fee = {"name": "工本费", "legal_basis": "桂价费〔2020〕1号", "amount_fen": 5000}
    async with start_env(pg_url) as env:
        await env.publish_item(food_definition(fees=[fee]))
        case = await env.submit(submitted())
        await env.act(case.id, "accept", "acceptor", ACCEPT)
        await env.act(case.id, "review", "reviewer", REVIEWED)
        later(env.clock, 1)  # Wed 11 Feb
        decided = await env.act(case.id, "decide", "approver", APPROVE)
        assert (decided.json()["status"], decided.json()["clock_stopped"]) == ("paying", True)
        fee = FeeRequested.model_validate(await env.event_data(case.id, FeeRequested.type))  # payment's reading too
        assert fee.lines[0].amount_fen == 5000 and fee.case_id == str(case.id)
        assert CaseApproved.type not in await env.event_types(case.id)
        later(env.clock, 1)  # Thu 12 Feb: one working day spent paying
        await env.send(order_paid(case, 5000, env.clock.now()))
        paid = await env.case_of(case.application_id, status="delivering")
        assert (paid.paused_days, paid.deadline.isoformat(), paid.fee_order_id) == (1, "2026-02-14", "order-1")
        assert await env.event_types(case.id) == [CaseAccepted.type, FeeRequested.type, CaseApproved.type]


async def test_a_hall_applicant_without_an_account_pays_at_the_window(pg_url: str, start_env: Any) -> None:
    """application.submitted may name no account (a hall case); the case still opens and, with no one to pay
    online, the fees are taken at the window instead of through payment."""
    fee = {"name": "工本费", "legal_basis": "桂价费〔2020〕1号", "amount_fen": 5000}
    async with start_env(pg_url) as env:
        await env.publish_item(food_definition(fees=[fee]))
        data = submitted(channel="hall", applicant=None)
        case = await env.submit(data)
        assert case.applicant_subject == f"hall:{data.application_id}"
        await env.act(case.id, "accept", "acceptor", ACCEPT)
        await env.act(case.id, "review", "reviewer", REVIEWED)
        decided = await env.act(case.id, "decide", "approver", APPROVE)
        assert decided.json()["status"] == "delivering"
        assert await env.event_types(case.id) == [CaseAccepted.type, CaseApproved.type]


async def test_refusal_ends_the_case(env: Env) -> None:
    case = await env.submit(submitted())
    resp = await env.act(
        case.id,
        "accept",
        "acceptor",
        {"action": "refuse", "opinion": "不属于本机关职权范围", "reason": "不属于受理范围"},
    )
    assert resp.json()["status"] == "refused"
    assert await env.event_types(case.id) == [CaseRefused.type]
    async with env.db.transaction() as session:
        open_tasks = await session.scalar(
            sa.select(sa.func.count()).select_from(Task).where(Task.case_id == case.id, Task.status == "open")
        )
    assert open_tasks == 0


async def test_rejection_carries_the_legal_reason(env: Env) -> None:
    case = await env.submit(submitted())
    await env.act(case.id, "accept", "acceptor", ACCEPT)
    await env.act(case.id, "review", "reviewer", REVIEWED)
    body = {
        "action": "reject",
        "opinion": "不予许可",
        "reason": "经营场所不符合要求",
        "legal_basis": "《食品经营许可和备案管理办法》第十二条",
    }
    resp = await env.act(case.id, "decide", "approver", body)
    assert (resp.json()["status"], resp.json()["decision"]) == ("completed", "rejected")
    rejected = CaseRejected.model_validate(await env.event_data(case.id, CaseRejected.type))
    assert rejected.legal_basis.startswith("《食品经营许可")
    completed = CaseCompleted.model_validate(await env.event_data(case.id, CaseCompleted.type))
    assert completed.result == "rejected"


async def test_bad_decision_input_is_refused_and_changes_nothing(env: Env) -> None:
    case = await env.submit(submitted())
    await env.act(case.id, "accept", "acceptor", ACCEPT)
    await env.act(case.id, "review", "reviewer", REVIEWED)
    task = await env.open_task(case.id, "decide")
    headers = env.staff("approver")
    await env.client.post(f"/v1/tasks/{task.id}/claim", headers=headers)
    no_basis = await env.client.post(
        f"/v1/tasks/{task.id}/complete", json={"action": "reject", "opinion": "x", "reason": "y"}, headers=headers
    )
    wrong_step = await env.client.post(f"/v1/tasks/{task.id}/complete", json=ACCEPT, headers=headers)
    malformed = await env.client.post(f"/v1/tasks/{task.id}/complete", json={"action": "maybe"}, headers=headers)
    assert no_basis.status_code == 422 and no_basis.json()["type"].endswith(":action-not-allowed")
    assert wrong_step.status_code == 422 and wrong_step.json()["allowed"] == ["approve", "reject"]
    assert malformed.status_code == 422 and malformed.headers["content-type"] == "application/problem+json"
    async with env.db.transaction() as session:
        again = await session.get(Case, case.id)
        assert again is not None and again.status == "deciding" and again.decision is None
        assert (await session.get(Task, task.id)).status == "claimed"  # type: ignore[union-attr]
    assert await env.event_types(case.id) == [CaseAccepted.type]


async def test_withdrawal_ends_the_case(env: Env) -> None:
    app = submitted()
    case = await env.submit(app)
    await env.act(case.id, "accept", "acceptor", ACCEPT)
    await env.send(withdrawn(app, case, env.clock.now(), "不再需要"))
    ended = await env.case_of(app.application_id, status="withdrawn")
    assert utc(ended.closed_at) == env.clock.now() if ended.closed_at else False
    assert await env.event_types(case.id) == [CaseAccepted.type, CaseWithdrawn.type]
    async with env.db.transaction() as session:
        statuses = set(await session.scalars(sa.select(Task.status).where(Task.case_id == case.id)))
    assert statuses == {"completed", "cancelled"}


async def test_countersigning_departments_work_in_parallel(pg_url: str, start_env: Any) -> None:
    other = {"code": "11450100MBECJA39QK", "name": "南宁市卫生健康委员会"}
    process = food_process()
    process["steps"].insert(2, {"kind": "countersign", "name": "会签", "role": "会签人员", "share_percent": 0})
    process["countersign_departments"] = [{"code": "11450100MBQH0Y21QM", "name": "南宁市市场监督管理局"}, other]
    definition = food_definition(process=process)
    async with start_env(pg_url) as env:
        await env.publish_item(definition)
        case = await env.submit(submitted())
        await env.act(case.id, "accept", "acceptor", ACCEPT)
        await env.act(case.id, "review", "reviewer", REVIEWED)
        async with env.db.transaction() as session:
            tasks = list(
                await session.scalars(sa.select(Task).where(Task.case_id == case.id, Task.kind == "countersign"))
            )
        assert sorted(t.department for t in tasks) == sorted([other["code"], "11450100MBQH0Y21QM"])
        first = await env.act(case.id, "countersign", "reviewer", {"action": "complete", "opinion": "同意"})
        assert first.json()["status"] == "countersigning"  # waits for the other department
        health = next(t for t in tasks if t.department == other["code"])
        headers = env.staff("reviewer", department=other["code"], subject="health-reviewer")
        seen = await env.client.get(f"/v1/cases/{case.id}", headers=headers)
        assert seen.status_code == 200 and seen.json()["status"] == "countersigning"
        police = env.staff("reviewer", department="11450100MB725PY8DX", subject="police")
        assert (await env.client.get(f"/v1/cases/{case.id}", headers=police)).status_code == 404
        assert (await env.client.post(f"/v1/tasks/{health.id}/claim", headers=headers)).status_code == 200
        last = await env.client.post(
            f"/v1/tasks/{health.id}/complete", json={"action": "complete", "opinion": "同意"}, headers=headers
        )
        assert last.status_code == 200 and last.json()["status"] == "deciding"


async def test_opened_at_is_the_clock(env: Env) -> None:
    case = await env.submit(submitted())
    assert utc(case.opened_at) == START
    assert case.item_code == CODE


async def test_an_application_for_a_version_not_yet_known_waits_for_it(env: Env) -> None:
    """The citizen applied under version 2 (its time limit); its catalog event is late. The case opens once
    it arrives, with version 2's terms, not version 1's; the application event is never dead-lettered."""
    data = submitted(version=2)
    await env.send(data)
    consumer = next(c for c in env.app.state.runtime.consumers if c.group == "workflow.applications")
    for _ in range(600):  # the consumer tries, fails, backs off and tries again
        if consumer.stats.failures >= 2:
            break
        await asyncio.sleep(0.05)
    assert consumer.stats.failures >= 2
    async with env.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0

    limit = {**FOOD_LICENCE["time_limit"], "promised_days": 1}
    await env.publish_item(food_definition(time_limit=limit), version=2)
    case = await env.case_of(data.application_id)
    assert (case.item_version, case.promised_days) == (2, 1)
    assert consumer.stats.dead_lettered == 0
