"""Ratings on PostgreSQL: one per case and only by its applicant; refusals change nothing; a bad rating
opens a rectification; the rating event follows its schema."""

from __future__ import annotations

import asyncio
import uuid

from gov_contracts.evaluation import RatingSubmitted

PROBLEM = "application/problem+json"


def problem(resp, status: int, slug: str) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json()["type"] == f"urn:gov-platform:problem:{slug}"


async def count(api, table: str) -> int:  # type: ignore[no-untyped-def]
    (row,) = await api.sql(f"SELECT count(*) AS n FROM {table}")
    return int(row.n)


async def test_one_rating_per_case_and_only_by_its_applicant(api) -> None:
    case = await api.complete_case(applicant="citizen-1")
    first = await api.rate(case["case_id"], 5, comment="很快")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["level"], body["level_name"], body["bad"]) == (5, "非常满意", False)
    assert (body["department"], body["region"], body["item_code"]) == (api.DEPT_A, api.REGION_A, "ITEM-1")
    assert body["rectification_id"] is None, "a good rating opens no rectification"

    again = await api.rate(case["case_id"], 1, reasons=["attitude"])
    problem(again, 409, "rating-already-submitted")

    (event,) = await api.outbox(RatingSubmitted.type)
    data = RatingSubmitted.model_validate(event.data)
    assert (data.rating_id, data.case_id, data.level, data.channel) == (body["id"], case["case_id"], 5, "web")
    assert event.subject == body["id"] and event.topic == "gov.evaluation.ratings"
    assert "comment" not in event.data and "citizen-1" not in str(event.data), "no rater identity in the event"
    rows = await api.sql("SELECT level FROM rating")
    assert [r.level for r in rows] == [5], "the rating was not changed"


async def test_rating_another_persons_case_is_refused(api) -> None:
    case = await api.complete_case(applicant="citizen-1")
    resp = await api.rate(case["case_id"], 1, who="citizen-2", reasons=["slow"])
    problem(resp, 403, "not-the-applicant")
    assert await count(api, "rating") == 0 and await count(api, "rectification") == 0
    assert await api.outbox() == []


async def test_staff_cannot_rate_cases_they_handled(api) -> None:
    case = await api.complete_case(applicant="citizen-1", handled_by=("staff-a", "staff-b"))
    body = {"case_id": case["case_id"], "level": 5, "reasons": [], "channel": "web"}
    as_staff = await api.client.post("/v1/ratings", json=body, headers=api.staff("staff-a"))
    problem(as_staff, 403, "insufficient-scope")
    # Even with a token that may rate, a handler never rates their own case.
    scoped = api.issuer.headers("staff-a", kind="citizen", scopes=["evaluation.ratings.write"])
    problem(await api.client.post("/v1/ratings", json=body, headers=scoped), 403, "rating-own-handling")
    # The same person through a relaying system (e.g. the hotline) is refused too.
    relayed = await api.client.post(
        "/v1/ratings/relayed",
        json={"case_id": case["case_id"], "level": 5, "channel": "hotline", "rater_subject": "staff-b"},
        headers=api.system("evaluation.ratings.relay", subject="hotline-12345"),
    )
    problem(relayed, 403, "rating-own-handling")
    assert await count(api, "rating") == 0


async def test_unknown_or_unfinished_case_cannot_be_rated(api) -> None:
    resp = await api.rate("case-never-completed", 5)
    problem(resp, 404, "case-not-ratable")


async def test_enterprise_agents_rate_their_enterprises_case(api) -> None:
    credit = "91450100MA5K000001"
    case = await api.complete_case(applicant="agent-1", kind="enterprise", enterprise=credit)
    other = await api.client.post(
        "/v1/ratings",
        json={"case_id": case["case_id"], "level": 4, "reasons": ["fast"], "channel": "mobile"},
        headers=api.enterprise("agent-9", "91450100MA5K000002"),
    )
    problem(other, 403, "not-the-applicant")
    colleague = await api.client.post(
        "/v1/ratings",
        json={"case_id": case["case_id"], "level": 4, "reasons": ["fast"], "channel": "mobile"},
        headers=api.enterprise("agent-2", credit),
    )
    assert colleague.status_code == 201, colleague.text


async def test_bad_input_is_refused_with_problem_json_and_changes_nothing(api) -> None:
    case = await api.complete_case()
    problem(await api.rate(case["case_id"], 6), 422, "validation-error")
    problem(await api.rate(case["case_id"], 2, reasons=[]), 422, "rating-reason-required")
    problem(await api.rate(case["case_id"], 5, reasons=["slow"]), 422, "invalid-rating-reasons")
    problem(await api.rate(case["case_id"], 1, reasons=["slow", "slow"]), 422, "validation-error")
    problem(await api.rate(case["case_id"], 5, comment="x" * 501), 422, "validation-error")
    problem(await api.rate(case["case_id"], 5, window="W1"), 422, "validation-error")
    unauthenticated = await api.client.post("/v1/ratings", json={"case_id": case["case_id"], "level": 5})
    problem(unauthenticated, 401, "unauthenticated")
    assert await count(api, "rating") == 0 and await api.outbox() == []


async def test_a_bad_rating_opens_a_rectification_due_in_fifteen_working_days(api) -> None:
    case = await api.complete_case(applicant="citizen-1")
    api.clock.china("2026-09-24")
    resp = await api.rate(case["case_id"], 2, reasons=["slow", "extra_materials"], comment="材料要求不一致")
    assert resp.status_code == 201, resp.text
    rect_id = resp.json()["rectification_id"]
    assert rect_id is not None
    rect = await api.client.get(f"/v1/rectifications/{rect_id}", headers=api.citizen("citizen-1"))
    assert rect.status_code == 200, rect.text
    assert rect.json()["status"] == "open"
    assert rect.json()["due"] == "2026-10-22"  # 15 working days across the National Day holidays
    assert rect.json()["department"] == api.DEPT_A and rect.json()["overdue"] is False
    # Visible to the rated department's staff; not to another department or another citizen.
    assert (await api.client.get(f"/v1/rectifications/{rect_id}", headers=api.staff())).status_code == 200
    other_dept = await api.client.get(f"/v1/rectifications/{rect_id}", headers=api.staff(department=api.DEPT_B))
    problem(other_dept, 404, "rectification-not-found")
    problem(
        await api.client.get(f"/v1/rectifications/{rect_id}", headers=api.citizen("citizen-2")),
        404,
        "rectification-not-found",
    )


async def test_idempotency_key_replays_the_first_answer(api) -> None:
    case = await api.complete_case()
    body = {"case_id": case["case_id"], "level": 4, "reasons": ["fast"], "channel": "web"}
    headers = {**api.citizen(), "Idempotency-Key": uuid.uuid4().hex}
    first = await api.client.post("/v1/ratings", json=body, headers=headers)
    replay = await api.client.post("/v1/ratings", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201, replay.text
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert replay.headers["Location"] == first.headers["Location"] == f"/v1/ratings/{first.json()['id']}"
    reused = await api.client.post("/v1/ratings", json=body | {"level": 3}, headers=headers)
    problem(reused, 409, "idempotency-key-reused")
    assert await count(api, "rating") == 1 and len(await api.outbox(RatingSubmitted.type)) == 1


async def test_on_site_ratings_come_from_the_hall_device(api) -> None:
    onsite = {"level": 1, "reasons": ["attitude"], "channel": "hall_device", "department": api.DEPT_A}
    onsite |= {"region": "450102", "window": "W-07", "rater_subject": "citizen-5"}
    problem(await api.client.post("/v1/ratings", json=onsite, headers=api.citizen("citizen-5")), 403, "forbidden")
    relayed_by_citizen = await api.client.post("/v1/ratings/relayed", json=onsite, headers=api.citizen("citizen-5"))
    problem(relayed_by_citizen, 403, "insufficient-scope")
    no_scope = await api.client.post("/v1/ratings/relayed", json=onsite, headers=api.system())
    problem(no_scope, 403, "insufficient-scope")
    elsewhere = api.issuer.headers("hall-lz", kind="system", scopes=["evaluation.ratings.relay"], region="450200")
    problem(await api.client.post("/v1/ratings/relayed", json=onsite, headers=elsewhere), 403, "outside-your-scope")
    assert await count(api, "rating") == 0
    resp = await api.client.post("/v1/ratings/relayed", json=onsite, headers=api.system("evaluation.ratings.relay"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["window"] == "W-07" and resp.json()["case_id"] is None
    assert resp.json()["rectification_id"] is not None, "a real-name bad rating is followed up"
    anonymous = {k: v for k, v in onsite.items() if k != "rater_subject"}
    resp = await api.client.post("/v1/ratings/relayed", json=anonymous, headers=api.system("evaluation.ratings.relay"))
    assert resp.status_code == 201 and resp.json()["rectification_id"] is None
    # The rater of the real-name one sees it in their list.
    mine = await api.client.get("/v1/ratings", headers=api.citizen("citizen-5"))
    assert [r["window"] for r in mine.json()["items"]] == ["W-07"]


async def test_lists_show_each_caller_only_what_concerns_them(api) -> None:
    ids = {}
    for who, dept, region in (("c1", api.DEPT_A, "450102"), ("c2", api.DEPT_A, "450103"), ("c3", api.DEPT_B, "450202")):
        case = await api.complete_case(applicant=who, department=dept, region=region)
        resp = await api.rate(case["case_id"], 4, who=who)
        ids[who] = resp.json()["id"]

    async def listed(headers: dict[str, str], **params: object) -> list[str]:
        resp = await api.client.get("/v1/ratings", headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        return sorted(r["id"] for r in resp.json()["items"])

    assert await listed(api.citizen("c1")) == [ids["c1"]]
    assert await listed(api.staff(department=api.DEPT_A, region="450100")) == sorted([ids["c1"], ids["c2"]])
    assert await listed(api.staff(department=api.DEPT_A, region="450103")) == [ids["c2"]]
    assert await listed(api.supervisor("450200")) == [ids["c3"]]
    assert await listed(api.system("evaluation.ratings.read", subject="exchange")) == sorted(ids.values())
    nanning = api.issuer.headers("nn", kind="system", scopes=["evaluation.ratings.read"], region="450100")
    assert await listed(nanning) == sorted([ids["c1"], ids["c2"]]), "a system of a region reads that region's"
    problem(await api.client.get("/v1/ratings", headers=api.system()), 403, "insufficient-scope")
    problem(await api.client.get(f"/v1/ratings/{ids['c1']}", headers=api.citizen("c2")), 404, "rating-not-found")
    # Pagination: one per page, three pages, no repeats.
    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (
            await api.client.get("/v1/ratings", headers=api.system("evaluation.ratings.read"), params=params)
        ).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(ids.values()) and cursor is None
    problem(
        await api.client.get("/v1/ratings", headers=api.citizen("c1"), params={"cursor": "x"}), 400, "invalid-cursor"
    )


async def test_the_reason_list_is_public(api) -> None:
    resp = await api.client.get("/v1/reasons")
    assert resp.status_code == 200
    assert {"code": "slow", "label": "办理时间长"} in resp.json()["bad"]
    assert {r["code"] for r in resp.json()["good"]} >= {"fast", "courteous"}


async def test_concurrent_ratings_of_one_case_make_one_rating(api) -> None:
    case = await api.complete_case(applicant="citizen-1")
    results = await asyncio.gather(*(api.rate(case["case_id"], level, reasons=["slow"]) for level in (1, 2, 1, 2)))
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    assert await count(api, "rating") == 1 and await count(api, "rectification") == 1
    assert len(await api.outbox(RatingSubmitted.type)) == 1


async def test_relaying_rules(api) -> None:
    case = await api.complete_case(applicant="citizen-1")
    relay = api.system("evaluation.ratings.relay", subject="hotline-12345")
    body = {"case_id": case["case_id"], "level": 4, "reasons": ["fast"], "rater_subject": "citizen-1"}
    problem(
        await api.client.post("/v1/ratings/relayed", json=body | {"channel": "web"}, headers=relay),
        422,
        "invalid-rating-target",
    )
    wrong = body | {"channel": "hotline", "rater_subject": "citizen-2"}
    problem(await api.client.post("/v1/ratings/relayed", json=wrong, headers=relay), 403, "not-the-applicant")
    # The citizens' operation is not the relays' (a relay holds no evaluation.ratings.write).
    problem(
        await api.client.post("/v1/ratings", json=body | {"channel": "hotline"}, headers=relay),
        403,
        "insufficient-scope",
    )
    as_other = body | {"channel": "web", "rater_subject": "citizen-2"}
    problem(
        await api.client.post("/v1/ratings", json=as_other, headers=api.citizen("citizen-1")),
        422,
        "invalid-rating-target",
    )
    self_hotline = {k: v for k, v in body.items() if k != "rater_subject"} | {"channel": "hotline"}
    problem(
        await api.client.post("/v1/ratings", json=self_hotline, headers=api.citizen("citizen-1")),
        422,
        "invalid-rating-target",
    )
    assert await count(api, "rating") == 0
    ok = await api.client.post("/v1/ratings/relayed", json=body | {"channel": "hotline"}, headers=relay)
    assert ok.status_code == 201 and ok.json()["channel"] == "hotline"
    mine = await api.client.get("/v1/ratings", headers=api.citizen("citizen-1"))
    assert [r["id"] for r in mine.json()["items"]] == [ok.json()["id"]], "the relayed rating is the applicant's"
