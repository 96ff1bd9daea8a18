"""Who may see and act: the department's staff inside their region, one claimer per task, supervisors of
the region, the applicant (without staff identities); everybody else sees nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa

from workflow.models import Case, Task

from ..conftest import LIUZHOU, LZ_MARKET, NANNING, Env, submitted

ACCEPT = {"action": "accept", "opinion": "予以受理"}


async def test_concurrent_claims_have_exactly_one_winner(env: Env) -> None:
    case = await env.submit(submitted())
    task = await env.open_task(case.id, "accept")
    claimers = [env.staff("acceptor", subject=f"acceptor-{i}") for i in range(12)]
    answers = await asyncio.gather(*(env.client.post(f"/v1/tasks/{task.id}/claim", headers=h) for h in claimers))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 11, codes
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {
        "urn:gov-platform:problem:task-already-claimed"
    }
    winner = next(a.json()["assignee"] for a in answers if a.status_code == 200)
    async with env.db.transaction() as session:
        stored = await session.get(Task, task.id)
    assert stored is not None and stored.assignee == winner and stored.status == "claimed"
    # Only the winner may complete it; after a release another may claim.
    loser = next(h for h, a in zip(claimers, answers, strict=True) if a.status_code == 409)
    refused = await env.client.post(f"/v1/tasks/{task.id}/complete", json=ACCEPT, headers=loser)
    assert refused.status_code == 403 and refused.json()["type"].endswith(":task-not-claimed-by-you")
    winner_headers = claimers[[a.status_code for a in answers].index(200)]
    assert (await env.client.post(f"/v1/tasks/{task.id}/release", headers=winner_headers)).json()["status"] == "open"
    assert (await env.client.post(f"/v1/tasks/{task.id}/claim", headers=loser)).status_code == 200


async def test_staff_of_another_city_cannot_see_or_act(env: Env) -> None:
    case = await env.submit(submitted())
    task = await env.open_task(case.id, "accept")
    liuzhou = env.staff("acceptor", "reviewer", "approver", region=LIUZHOU, department=LZ_MARKET)
    # Same department code but a token for another city's region: still outside.
    misplaced = env.staff("acceptor", region=LIUZHOU)
    for headers in (liuzhou, misplaced):
        seen = await env.client.get(f"/v1/cases/{case.id}", headers=headers)
        assert seen.status_code == 404 and seen.json()["type"].endswith(":case-not-found")
        assert (await env.client.get(f"/v1/cases/{case.id}/trace", headers=headers)).status_code == 404
        inbox = await env.client.get("/v1/tasks", headers=headers)
        assert inbox.status_code == 200 and inbox.json()["items"] == []
        claim = await env.client.post(f"/v1/tasks/{task.id}/claim", headers=headers)
        assert claim.status_code == 404 and claim.json()["type"].endswith(":task-not-found")
        listed = await env.client.get("/v1/cases", headers=headers)
        assert listed.json()["items"] == []
    # Nanning staff do see it, in the inbox of the right role only.
    mine = await env.client.get("/v1/tasks", headers=env.staff("acceptor"))
    assert [t["id"] for t in mine.json()["items"]] == [str(task.id)]
    assert (await env.client.get("/v1/tasks", headers=env.staff("approver"))).json()["items"] == []
    wrong_role = await env.client.post(f"/v1/tasks/{task.id}/claim", headers=env.staff("approver"))
    assert wrong_role.status_code == 403 and wrong_role.json()["required_role"] == "acceptor"
    # Provincial staff of the department see Nanning's tasks (450000 covers 4501xx).
    provincial = await env.client.get("/v1/tasks", headers=env.staff("acceptor", region="450000", subject="p"))
    assert len(provincial.json()["items"]) == 1
    async with env.db.transaction() as session:
        assert (await session.get(Task, task.id)).status == "open"  # type: ignore[union-attr]


async def test_applicant_sees_own_case_and_trace_without_staff_identities(env: Env) -> None:
    case = await env.submit(submitted(applicant="citizen-7"))
    await env.act(case.id, "accept", "acceptor", ACCEPT, subject="acceptor-zhang")
    own = await env.client.get(f"/v1/cases/{case.id}", headers=env.citizen("citizen-7"))
    assert own.status_code == 200 and own.json()["status"] == "reviewing" and own.json()["applicant"] is None
    trace = (await env.client.get(f"/v1/cases/{case.id}/trace", headers=env.citizen("citizen-7"))).json()
    accept = next(e for e in trace["entries"] if e["action"] == "accept")
    assert accept["actor"] is None and accept["role"] == "acceptor" and accept["hash"] is None
    assert accept["department"] == "11450100MBQH0Y21QM" and accept["opinion"] == "予以受理"
    assert "acceptor-zhang" not in str(trace)
    staff_view = (await env.client.get(f"/v1/cases/{case.id}/trace", headers=env.staff("reviewer"))).json()
    assert next(e for e in staff_view["entries"] if e["action"] == "accept")["actor"] == "acceptor-zhang"
    other = await env.client.get(f"/v1/cases/{case.id}", headers=env.citizen("citizen-8"))
    assert other.status_code == 404
    verify = await env.client.get(f"/v1/cases/{case.id}/trace/verification", headers=env.citizen("citizen-7"))
    assert verify.status_code == 403
    listed = await env.client.get("/v1/cases", headers=env.citizen("citizen-7"))
    assert [c["id"] for c in listed.json()["items"]] == [str(case.id)]
    anonymous = await env.client.get(f"/v1/cases/{case.id}")
    assert anonymous.status_code == 401


async def test_a_redelivered_submission_opens_no_second_case(env: Env) -> None:
    data = submitted()
    event_id = str(uuid.uuid4())
    case = await env.submit(data, event_id=event_id)
    await env.send(data, event_id=event_id)
    # The same application under a new event id (a producer that retried after a crash) is still one case.
    await env.send(data)
    marker = submitted()
    # Keyed like the duplicates, so it is handled after them (one partition, in order).
    await env.send(marker, subject=data.application_id)
    await env.case_of(marker.application_id)
    async with env.db.transaction() as session:
        cases = await session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.application_id == data.application_id)
        )
        tasks = await session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.case_id == case.id))
    assert (cases, tasks) == (1, 1)


async def test_pagination_of_the_inbox(env: Env) -> None:
    for _ in range(3):
        await env.submit(submitted())
    first = (await env.client.get("/v1/tasks?limit=2", headers=env.staff("acceptor"))).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (
        await env.client.get(f"/v1/tasks?limit=2&cursor={first['next_cursor']}", headers=env.staff("acceptor"))
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert not {t["id"] for t in first["items"]} & {t["id"] for t in second["items"]}
    bad = await env.client.get("/v1/tasks?cursor=not-a-cursor", headers=env.staff("acceptor"))
    assert bad.status_code == 400 and bad.json()["type"].endswith(":invalid-cursor")
    citizen = await env.client.get("/v1/tasks", headers=env.citizen())
    assert citizen.status_code == 403
    assert first["items"][0]["region"] == NANNING


async def test_a_submission_for_an_unknown_item_is_dead_lettered_after_the_wait(pg_url: str, start_env: Any) -> None:
    """An item that never comes: waited for (consumer_wait_for_missing_seconds), then dead-lettered, and the
    partition moves on."""
    async with start_env(pg_url, consumer_max_attempts=2, consumer_wait_for_missing_seconds=1.0) as env:
        await env.publish_item()
        stray = submitted(code="999999999999-450100-unknown")
        good = submitted()
        await env.send(stray, subject="same-key")
        await env.send(good, subject="same-key")
        await env.case_of(good.application_id)
        async with env.db.transaction() as session:
            strays = await session.scalar(
                sa.select(sa.func.count()).select_from(Case).where(Case.application_id == stray.application_id)
            )
        assert strays == 0
        consumer = next(c for c in env.app.state.runtime.consumers if c.group == "workflow.applications")
        assert consumer.stats.dead_lettered == 1
