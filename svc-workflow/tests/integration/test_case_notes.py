"""Case notes (知识共享、互动交流): the staff handling a case leave notes for each other. Who may read and write
them, tried from every other side (another department, another region, a forged department code, the
applicant, a supervisor who watches the case); bad input is problem+json and writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from workflow.models import CaseNote

from ..conftest import LIUZHOU, LZ_MARKET, NN_MARKET, Env, submitted

PROBLEM = "application/problem+json"
OTHER_NN_DEPARTMENT = "11450100MB1234567X"


async def note_count(env: Env) -> int:
    async with env.db.transaction() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(CaseNote)) or 0)


async def test_the_departments_staff_share_notes_on_a_case(env: Env) -> None:
    case = await env.submit(submitted())
    acceptor = env.staff("acceptor", subject="nn-acceptor")
    reviewer = env.staff("reviewer", subject="nn-reviewer")
    url = f"/v1/cases/{case.id}/notes"
    first = await env.client.post(url, json={"body": "  申请人电话已核实，材料原件下周补交  "}, headers=acceptor)
    assert first.status_code == 201, first.text
    note = first.json()
    assert note["body"] == "申请人电话已核实，材料原件下周补交" and note["author"] == "nn-acceptor"
    assert note["department"] == NN_MARKET
    assert first.headers["location"].endswith(f"{url}/{note['id']}")
    env.clock.at += timedelta(minutes=5)
    second = await env.client.post(url, json={"body": "已电话联系，同意"}, headers=reviewer)
    assert second.status_code == 201
    listed = await env.client.get(url, headers=reviewer)
    assert listed.status_code == 200
    assert [n["body"] for n in listed.json()["items"]] == ["申请人电话已核实，材料原件下周补交", "已电话联系，同意"]
    one = await env.client.get(f"{url}/{note['id']}", headers=reviewer)
    assert one.status_code == 200 and one.json() == note

    key = {"Idempotency-Key": "note-1"}
    again = [await env.client.post(url, json={"body": "重复提交"}, headers=acceptor | key) for _ in range(2)]
    assert [r.status_code for r in again] == [201, 201] and again[0].json()["id"] == again[1].json()["id"]
    assert await note_count(env) == 3


async def test_nobody_else_reads_or_writes_them(env: Env) -> None:
    case = await env.submit(submitted())
    url = f"/v1/cases/{case.id}/notes"
    made = await env.client.post(url, json={"body": "内部意见"}, headers=env.staff("acceptor"))
    assert made.status_code == 201
    note_url = f"{url}/{made.json()['id']}"
    # Not theirs to see at all: the case is not found, as for any read of it.
    for headers in (
        env.staff("acceptor", region=LIUZHOU, department=LZ_MARKET),
        env.staff("acceptor", department=OTHER_NN_DEPARTMENT),
        env.staff("acceptor", region=LIUZHOU, department=NN_MARKET),  # the code, forged into another region
        env.staff("supervisor", region=LIUZHOU, department=LZ_MARKET),
        env.citizen("someone-else"),
    ):
        for resp in (
            await env.client.get(url, headers=headers),
            await env.client.get(note_url, headers=headers),
            await env.client.post(url, json={"body": "x"}, headers=headers),
        ):
            assert resp.status_code in (403, 404), resp.text
            assert resp.headers["content-type"] == PROBLEM
            assert "内部意见" not in resp.text
    # They see the case but do not handle it: the applicant and a supervisor of the region are refused.
    for headers in (env.citizen(), env.staff("supervisor", department="11450000MB0000000X")):
        assert (await env.client.get(f"/v1/cases/{case.id}", headers=headers)).status_code == 200
        refused = await env.client.get(url, headers=headers)
        assert refused.status_code == 403 and refused.json()["type"].endswith("out-of-scope")
        assert (await env.client.post(url, json={"body": "x"}, headers=headers)).status_code == 403
    # Another case's note is not found through this case.
    other = await env.submit(submitted())
    cross = await env.client.get(f"/v1/cases/{other.id}/notes/{made.json()['id']}", headers=env.staff("acceptor"))
    assert cross.status_code == 404
    assert await note_count(env) == 1


async def test_bad_notes_are_refused_and_change_nothing(env: Env) -> None:
    case = await env.submit(submitted())
    staff = env.staff("acceptor")
    url = f"/v1/cases/{case.id}/notes"
    for body in ({"body": ""}, {"body": "   "}, {"body": "x" * 2001}, {"body": "x", "author": "forged"}, {}, []):
        refused = await env.client.post(url, json=body, headers=staff)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == PROBLEM
    for path in ("/v1/cases/not-a-case/notes", f"{url}/../../tasks"):
        resp = await env.client.get(path, headers=staff)
        assert resp.status_code in (404, 422) and resp.headers["content-type"] == PROBLEM
    missing = await env.client.get(f"/v1/cases/{uuid.uuid4()}/notes", headers=staff)
    assert missing.status_code == 404
    assert await note_count(env) == 0
