"""Countersign requests (会签): the case's handlers ask another department of the case's region (or above)
for its opinion; that department's staff see the request (without the applicant's data) and answer it once;
both are in the trace with who did them, and the chain still verifies. Tried from every other side, and
with bad input (problem+json, nothing written)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from workflow.models import CountersignRequest

from ..conftest import LIUZHOU, LZ_MARKET, NANNING, NN_MARKET, Env, submitted

PROBLEM = "application/problem+json"
NN_ENVIRONMENT = "11450100MB0000001X"  # another Nanning department (asked to countersign)
PROVINCE_OFFICE = "11450000MB0000000X"


async def count(env: Env) -> int:
    async with env.db.transaction() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(CountersignRequest)) or 0)


def ask(
    department: str = NN_ENVIRONMENT, region: str = NANNING, question: str = "请就环保要求出具意见"
) -> dict[str, Any]:
    return {"department": department, "region": region, "question": question}


async def test_a_department_is_asked_and_answers_once_in_the_trace(env: Env) -> None:
    case = await env.submit(submitted())
    reviewer = env.staff("reviewer", subject="nn-reviewer")
    asked = await env.client.post(
        f"/v1/cases/{case.id}/countersigns", json=ask(), headers=reviewer | {"Idempotency-Key": "cs-1"}
    )
    assert asked.status_code == 201, asked.text
    req = asked.json()
    assert (req["status"], req["department"], req["requested_by"]) == ("open", NN_ENVIRONMENT, "nn-reviewer")
    assert asked.headers["location"].endswith(f"/v1/countersigns/{req['id']}")
    replay = await env.client.post(
        f"/v1/cases/{case.id}/countersigns", json=ask(), headers=reviewer | {"Idempotency-Key": "cs-1"}
    )
    assert replay.json()["id"] == req["id"] and await count(env) == 1

    # The asked department's staff list and read it: the question and the case's number and item only.
    other = env.staff("reviewer", department=NN_ENVIRONMENT, subject="env-reviewer")
    mine = (await env.client.get("/v1/countersigns", params={"status": "open"}, headers=other)).json()["items"]
    assert [r["id"] for r in mine] == [req["id"]]
    assert mine[0]["tracking_number"] == case.tracking_number and "applicant" not in mine[0]
    answered = await env.client.post(
        f"/v1/countersigns/{req['id']}/answer", json={"agree": True, "opinion": "符合环保要求，同意"}, headers=other
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["agree"], answered.json()["answered_by"]) == (
        "answered",
        True,
        "env-reviewer",
    )
    twice = await env.client.post(
        f"/v1/countersigns/{req['id']}/answer", json={"agree": False, "opinion": "改主意"}, headers=other
    )
    assert twice.status_code == 409 and twice.json()["type"].endswith("countersign-answered")

    # The handlers read the answer on the case; the trace names both, and its chain verifies.
    listed = (await env.client.get(f"/v1/cases/{case.id}/countersigns", headers=reviewer)).json()["items"]
    assert [(r["status"], r["opinion"]) for r in listed] == [("answered", "符合环保要求，同意")]
    trace = (await env.client.get(f"/v1/cases/{case.id}/trace", headers=reviewer)).json()["entries"]
    steps = [(e["action"], e["actor"]) for e in trace if e["action"].startswith("countersign_")]
    assert steps == [("countersign_requested", "nn-reviewer"), ("countersign_answered", "env-reviewer")]
    verified = (await env.client.get(f"/v1/cases/{case.id}/trace/verification", headers=reviewer)).json()
    assert verified["valid"] is True


async def test_nobody_else_asks_reads_or_answers(env: Env) -> None:
    case = await env.submit(submitted())
    made = await env.client.post(f"/v1/cases/{case.id}/countersigns", json=ask(), headers=env.staff("reviewer"))
    assert made.status_code == 201
    url = f"/v1/countersigns/{made.json()['id']}"
    answer = {"agree": True, "opinion": "同意"}
    for headers in (
        env.staff("reviewer", region=LIUZHOU, department=LZ_MARKET),
        env.staff("reviewer", region=LIUZHOU, department=NN_ENVIRONMENT),  # the asked code, forged elsewhere
        env.staff("reviewer", department="11450100MB7777777X"),  # a third Nanning department
        env.citizen(),
    ):
        for resp in (
            await env.client.get(url, headers=headers),
            await env.client.post(f"{url}/answer", json=answer, headers=headers),
            await env.client.post(f"/v1/cases/{case.id}/countersigns", json=ask(), headers=headers),
            await env.client.get(f"/v1/cases/{case.id}/countersigns", headers=headers),
        ):
            assert resp.status_code in (403, 404), resp.text
            assert resp.headers["content-type"] == PROBLEM
        listed = await env.client.get("/v1/countersigns", headers=headers)
        assert listed.status_code in (200, 403)
        if listed.status_code == 200:
            assert listed.json()["items"] == []
    # The asking department reads its request but may not answer it for the asked one.
    own = env.staff("reviewer")
    assert (await env.client.get(url, headers=own)).status_code == 200
    assert (await env.client.post(f"{url}/answer", json=answer, headers=own)).status_code == 404
    # A supervisor watching the case does not ask.
    watcher = env.staff("supervisor", department=PROVINCE_OFFICE)
    assert (await env.client.post(f"/v1/cases/{case.id}/countersigns", json=ask(), headers=watcher)).status_code == 403
    assert await count(env) == 1


async def test_bad_requests_are_refused_and_change_nothing(env: Env) -> None:
    case = await env.submit(submitted())
    reviewer = env.staff("reviewer")
    url = f"/v1/cases/{case.id}/countersigns"
    for body in (
        ask(department=NN_MARKET),  # its own department
        ask(region=LIUZHOU),  # a region the case is not in
        ask(region="450103"),  # below the case's region
        ask(question=""),
        ask(question="x" * 2001),
        ask(department="not-a-code"),
        {**ask(), "requested_by": "someone-else"},
        {},
    ):
        refused = await env.client.post(url, json=body, headers=reviewer)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == PROBLEM
    assert (
        await env.client.post(f"/v1/cases/{uuid.uuid4()}/countersigns", json=ask(), headers=reviewer)
    ).status_code == 404
    made = await env.client.post(url, json=ask(region="450000"), headers=reviewer)  # a provincial department
    assert made.status_code == 201
    other = env.staff("reviewer", department=NN_ENVIRONMENT, region="450000")
    for body in ({"agree": "maybe", "opinion": "x"}, {"agree": True, "opinion": ""}, {"agree": True}):
        bad = await env.client.post(f"/v1/countersigns/{made.json()['id']}/answer", json=body, headers=other)
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    missing = await env.client.get(f"/v1/countersigns/{uuid.uuid4()}", headers=other)
    assert missing.status_code == 404
    assert await count(env) == 1
