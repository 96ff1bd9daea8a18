"""Consultations and complaints on PostgreSQL: routed to the department, answered by it within working
days, visible to the asker only, one satisfaction answer after the reply."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from gov_common.events import CloudEvent
from gov_contracts import testing
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.hotline import ConsultationAnswered


def problem(resp, status: int, slug: str) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["type"] == f"urn:gov-platform:problem:{slug}"


async def test_routed_answered_and_judged(api) -> None:
    await api.complete_case(item_code="ITEM-9", department=api.DEPT_A, region="450102")
    api.clock.china("2026-09-24")
    body = {
        "kind": "consultation",
        "title": "材料",
        "question": "需要哪些材料？",
        "region": "450102",
        "item_code": "ITEM-9",
    }
    headers = {**api.citizen("asker-1"), "Idempotency-Key": uuid.uuid4().hex}
    created = await api.client.post("/v1/consultations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    c = created.json()
    assert c["department"] == api.DEPT_A, "routed to the department handling the item in that region"
    assert c["due"] == "2026-10-09"  # 5 working days across the holidays
    replay = await api.client.post("/v1/consultations", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == c and replay.headers["Idempotent-Replayed"] == "true"
    url = f"/v1/consultations/{c['id']}"

    problem(await api.client.get(url, headers=api.citizen("asker-2")), 404, "consultation-not-found")
    problem(
        await api.client.post(f"{url}/satisfaction", json={"level": 5}, headers=api.citizen("asker-1")),
        409,
        "consultation-not-answered",
    )
    other = api.staff(department=api.DEPT_B, region="450000")
    problem(await api.client.post(f"{url}/answer", json={"answer": "x"}, headers=other), 404, "consultation-not-found")
    problem(
        await api.client.post(f"{url}/answer", json={"answer": "x"}, headers=api.citizen("asker-1")),
        403,
        "insufficient-scope",
    )

    # One flow (小热线融合): the hotline is told, makes it a work order; the department answers there, not here.
    [submitted] = await api.outbox("evaluation.consultation.submitted")
    assert submitted.subject == c["id"] and submitted.data["department"] == api.DEPT_A
    assert (submitted.data["asker_subject"], submitted.data["question"]) == ("asker-1", "需要哪些材料？")
    problem(
        await api.client.post(f"{url}/answer", json={"answer": "x"}, headers=api.staff()),
        409,
        "consultation-answered-in-hotline",
    )
    api.clock.china("2026-09-28")
    order_id = str(uuid.uuid4())
    await api.answer_in_hotline(c["id"], "身份证和申请表", order_id=order_id)
    seen = await api.client.get(url, headers=api.citizen("asker-1"))
    assert (seen.json()["answer"], seen.json()["answered_on_time"]) == ("身份证和申请表", True)
    assert seen.json()["hotline_number"] == "GX12345-20260928-0A1B2C3D"
    # The order reopened and answered again: the later answer replaces the first, its punctuality stands.
    api.clock.china("2026-10-20")
    await api.answer_in_hotline(c["id"], "身份证、申请表和户口簿", order_id=order_id)
    again = (await api.client.get(url, headers=api.citizen("asker-1"))).json()
    assert (again["answer"], again["answered_on_time"]) == ("身份证、申请表和户口簿", True)
    problem(
        await api.client.post(f"{url}/satisfaction", json={"level": 4}, headers=api.staff()),
        403,
        "insufficient-scope",
    )
    problem(
        await api.client.post(f"{url}/satisfaction", json={"level": 1}, headers=api.citizen("asker-2")),
        404,
        "consultation-not-found",
    )
    assert await api.outbox("evaluation.consultation.rated") == []
    judged = await api.client.post(f"{url}/satisfaction", json={"level": 4}, headers=api.citizen("asker-1"))
    assert judged.json()["satisfaction"] == 4
    problem(
        await api.client.post(f"{url}/satisfaction", json={"level": 1}, headers=api.citizen("asker-1")),
        409,
        "satisfaction-already-given",
    )
    # The rating reaches the work order as its callback (回访): once, the first rating only.
    [rated] = await api.outbox("evaluation.consultation.rated")
    assert rated.subject == c["id"]
    assert (rated.data["order_id"], rated.data["level"], rated.data["asker_subject"]) == (order_id, 4, "asker-1")
    # Reopened and answered again (after a bad rating): the asker rates the new answer.
    api.clock.china("2026-10-22")
    await api.answer_in_hotline(c["id"], "身份证、申请表、户口簿和照片", order_id=order_id)
    assert (await api.client.get(url, headers=api.citizen("asker-1"))).json()["satisfaction"] is None
    again = await api.client.post(f"{url}/satisfaction", json={"level": 5}, headers=api.citizen("asker-1"))
    assert again.status_code == 200 and again.json()["satisfaction"] == 5, again.text
    assert [e.data["level"] for e in await api.outbox("evaluation.consultation.rated")] == [4, 5]

    mine = await api.client.get("/v1/consultations", headers=api.citizen("asker-1"))
    assert [x["id"] for x in mine.json()["items"]] == [c["id"]]
    assert (await api.client.get("/v1/consultations", headers=api.citizen("asker-2"))).json()["items"] == []
    dept = await api.client.get("/v1/consultations", headers=api.staff(), params={"answered": "true"})
    assert [x["id"] for x in dept.json()["items"]] == [c["id"]]


async def test_complaints_get_their_own_time_limit_and_bad_input_is_refused(api) -> None:
    api.clock.china("2026-09-24")
    body = {
        "kind": "complaint",
        "title": "态度",
        "question": "窗口态度差",
        "region": "450102",
        "department": api.DEPT_A,
    }
    resp = await api.client.post("/v1/consultations", json=body, headers=api.citizen())
    # 10 working days after 24 Sep: 28, 29, 30 (3); 8, 9, 10 (6); 12, 13, 14, 15 (10).
    assert resp.status_code == 201 and resp.json()["due"] == "2026-10-15"
    unroutable = {"kind": "consultation", "title": "t", "question": "q", "region": "450102", "item_code": "NOPE"}
    problem(
        await api.client.post("/v1/consultations", json=unroutable, headers=api.citizen()),
        422,
        "consultation-unroutable",
    )
    about_nothing = {"kind": "consultation", "title": "t", "question": "q", "region": "450102"}
    problem(
        await api.client.post("/v1/consultations", json=about_nothing, headers=api.citizen()), 422, "validation-error"
    )
    problem(await api.client.post("/v1/consultations", json=body, headers=api.staff()), 403, "insufficient-scope")
    (row,) = await api.sql("SELECT count(*) AS n FROM consultation")
    assert row.n == 1


async def test_routing_follows_the_catalog(api) -> None:
    def published(code: str, version: int, department: str) -> CloudEvent:
        definition = testing.item_definition(region="450103", department={"code": department, "name": "市场监督管理局"})
        return testing.envelope(testing.item_published(definition, code=code, version=version))

    code = "000112004000450103000000" + api.DEPT_B + "000"
    bus = api.app.state.runtime.bus
    await bus.publish(ItemPublished.topic, [published(code, 2, api.DEPT_B), published(code, 1, api.DEPT_A)])

    async def known() -> bool:
        rows = await api.sql("SELECT version FROM service_item")
        return bool(rows)

    await api.eventually(known, what="the item from the catalog")
    await asyncio.sleep(0.3)  # the late version 1 must not win
    body = {"kind": "consultation", "title": "t", "question": "q", "region": "450103"}
    by_code = await api.client.post("/v1/consultations", json=body | {"item_code": code}, headers=api.citizen())
    assert by_code.status_code == 201 and by_code.json()["department"] == api.DEPT_B
    by_basic = await api.client.post(
        "/v1/consultations", json=body | {"item_code": "000112004000"}, headers=api.citizen()
    )
    assert by_basic.json()["department"] == api.DEPT_B, "a basic code routes to its implementation in the region"

    withdrawn = ItemWithdrawn(
        implementation_code=code, version=2, region="450103", withdrawn_at=datetime(2026, 9, 24, 2, tzinfo=UTC)
    )
    await bus.publish(ItemWithdrawn.topic, [testing.envelope(withdrawn)])

    async def gone() -> bool:
        return bool(await api.sql("SELECT 1 FROM service_item WHERE withdrawn"))

    await api.eventually(gone, what="the withdrawal")
    resp = await api.client.post("/v1/consultations", json=body | {"item_code": code}, headers=api.citizen())
    problem(resp, 422, "consultation-unroutable")


async def test_consultations_asked_before_the_merge_are_still_answered_here(api) -> None:
    body = {"kind": "consultation", "title": "t", "question": "q", "region": "450102", "department": api.DEPT_A}
    created = (await api.client.post("/v1/consultations", json=body, headers=api.citizen())).json()
    await api.sql("UPDATE consultation SET forwarded = false WHERE id = :c", c=uuid.UUID(created["id"]))
    url = f"/v1/consultations/{created['id']}"
    answered = await api.client.post(f"{url}/answer", json={"answer": "见办事指南"}, headers=api.staff())
    assert answered.status_code == 200 and answered.json()["answer"] == "见办事指南"
    problem(
        await api.client.post(f"{url}/answer", json={"answer": "again"}, headers=api.staff()),
        409,
        "consultation-already-answered",
    )
    # A hotline answer for a consultation it was never given changes nothing.
    other = await api.client.post("/v1/consultations", json=body, headers=api.citizen())
    await api.sql("UPDATE consultation SET forwarded = false WHERE id = :c", c=uuid.UUID(other.json()["id"]))
    await api.sql("UPDATE consultation SET answered_at = now() WHERE id = :c", c=uuid.UUID(other.json()["id"]))
    order_id = str(uuid.uuid4())  # one subject: the stray event is handled before the sentinel
    stray = testing.envelope(
        ConsultationAnswered(
            order_id=order_id, number="GX12345-20260924-0A1B2C3D", kind="consultation", category="other",
            region="450102", occurred_at=api.clock(), consultation_id=other.json()["id"], department=api.DEPT_A,
            answer="伪造的答复", answered_at=api.clock(),
        )
    )  # fmt: skip
    await api.app.state.runtime.bus.publish(ConsultationAnswered.topic, [stray])
    sentinel = (await api.client.post("/v1/consultations", json=body, headers=api.citizen())).json()
    await api.answer_in_hotline(sentinel["id"], "答复", order_id=order_id)
    assert (await api.client.get(f"/v1/consultations/{other.json()['id']}", headers=api.citizen())).json()[
        "answer"
    ] is None


async def test_unanswered_consultations_asked_before_the_merge_are_handed_to_the_hotline(api) -> None:
    from evaluation.worker import sweep

    body = {"kind": "complaint", "title": "t", "question": "q", "region": "450102", "department": api.DEPT_A}
    ids = [(await api.client.post("/v1/consultations", json=body, headers=api.citizen())).json()["id"] for _ in "ab"]
    await api.sql("UPDATE consultation SET forwarded = false")
    await api.sql("UPDATE consultation SET answer = 'old', answered_at = now() WHERE id = :c", c=uuid.UUID(ids[1]))
    before = len(await api.outbox("evaluation.consultation.submitted"))
    assert await sweep(api.db, api.app.state.evaluation) == 1
    after = await api.outbox("evaluation.consultation.submitted")
    assert len(after) == before + 1 and after[-1].subject == ids[0] and after[-1].data["kind"] == "complaint"
    rows = await api.sql("SELECT id, forwarded FROM consultation ORDER BY forwarded")
    assert {(str(r.id), r.forwarded) for r in rows} == {(ids[0], True), (ids[1], False)}
    problem(
        await api.client.post(f"/v1/consultations/{ids[0]}/answer", json={"answer": "x"}, headers=api.staff()),
        409,
        "consultation-answered-in-hotline",
    )
    assert await sweep(api.db, api.app.state.evaluation) == 0
