"""Rectification of bad ratings on PostgreSQL: reply, reject, confirm, appeal and decision, each only by
whom it concerns; the working-day deadline and the overdue event, with the service's clock moved."""

from __future__ import annotations

from datetime import UTC, datetime

from evaluation.worker import sweep
from gov_contracts.evaluation import RectificationOverdue

REPLY = {"verification": "核实属实", "measures": "一次性告知材料清单", "reply": "已整改，感谢监督"}


def problem(resp, status: int, slug: str) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["type"] == f"urn:gov-platform:problem:{slug}"


async def bad_rating(api, who: str = "citizen-1", **case) -> str:  # type: ignore[no-untyped-def]
    done = await api.complete_case(applicant=who, **case)
    resp = await api.rate(done["case_id"], 1, who=who, reasons=["slow"])
    assert resp.status_code == 201, resp.text
    return str(resp.json()["rectification_id"])


async def test_reply_reject_reply_confirm(api) -> None:
    api.clock.china("2026-09-24")
    rect = await bad_rating(api)
    url = f"/v1/rectifications/{rect}"
    problem(await api.client.post(f"{url}/reply", json=REPLY, headers=api.citizen()), 403, "insufficient-scope")
    other_dept = api.staff(department=api.DEPT_B, region="450000")
    problem(await api.client.post(f"{url}/reply", json=REPLY, headers=other_dept), 404, "rectification-not-found")
    problem(await api.client.post(f"{url}/reply", json={"reply": ""}, headers=api.staff()), 422, "validation-error")
    problem(
        await api.client.post(f"{url}/confirm", json={}, headers=api.citizen()), 409, "invalid-rectification-transition"
    )

    api.clock.china("2026-10-09")
    replied = await api.client.post(f"{url}/reply", json=REPLY, headers=api.staff())
    assert replied.status_code == 200, replied.text
    assert (replied.json()["status"], replied.json()["replied_on_time"]) == ("replied", True)

    problem(
        await api.client.post(f"{url}/reject", json={"feedback": "没解决"}, headers=api.staff()),
        403,
        "insufficient-scope",
    )
    problem(await api.client.post(f"{url}/reject", json={}, headers=api.citizen()), 422, "validation-error")
    rejected = await api.client.post(f"{url}/reject", json={"feedback": "没解决"}, headers=api.citizen())
    assert (rejected.json()["status"], rejected.json()["rejections"]) == ("open", 1)

    api.clock.china("2026-10-27")  # after the due day: the second reply is late, the first one counted
    again = await api.client.post(f"{url}/reply", json=REPLY | {"reply": "再次整改"}, headers=api.staff())
    assert (again.json()["status"], again.json()["replied_on_time"]) == ("replied", True)
    confirmed = await api.client.post(f"{url}/confirm", json={"feedback": "满意"}, headers=api.citizen())
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert [h["action"] for h in confirmed.json()["history"]] == [
        "opened",
        "replied",
        "rejected",
        "replied",
        "confirmed",
    ]
    staff_view = await api.client.get(url, headers=api.staff())
    assert "citizen-1" not in staff_view.text, "the department does not learn the rater's account"
    problem(
        await api.client.post(f"{url}/reject", json={"feedback": "x"}, headers=api.citizen()),
        409,
        "invalid-rectification-transition",
    )


async def test_appeal_of_a_malicious_rating(api) -> None:
    rect = await bad_rating(api)
    url = f"/v1/rectifications/{rect}"
    problem(
        await api.client.post(f"{url}/appeal", json={"reason": "恶意"}, headers=api.citizen()),
        403,
        "insufficient-scope",
    )
    appealed = await api.client.post(f"{url}/appeal", json={"reason": "恶意差评，与办理无关"}, headers=api.staff())
    assert appealed.json()["status"] == "appealed"
    decision = {"decision": "upheld", "note": "查实为恶意差评"}
    problem(
        await api.client.post(f"{url}/appeal-decision", json=decision, headers=api.staff()), 403, "outside-your-scope"
    )
    problem(
        await api.client.post(f"{url}/appeal-decision", json=decision, headers=api.supervisor("450200")),
        404,
        "rectification-not-found",
    )
    problem(
        await api.client.post(f"{url}/appeal-decision", json={"decision": "maybe"}, headers=api.supervisor()),
        422,
        "validation-error",
    )
    decided = await api.client.post(f"{url}/appeal-decision", json=decision, headers=api.supervisor("450000"))
    assert decided.status_code == 200 and decided.json()["status"] == "voided"
    (rating,) = await api.sql("SELECT excluded FROM rating")
    assert rating.excluded is True, "a malicious rating leaves the statistics"


async def test_dismissed_appeal_goes_back_to_the_department(api) -> None:
    rect = await bad_rating(api)
    url = f"/v1/rectifications/{rect}"
    await api.client.post(f"{url}/appeal", json={"reason": "恶意"}, headers=api.staff())
    back = await api.client.post(f"{url}/appeal-decision", json={"decision": "dismissed"}, headers=api.supervisor())
    assert back.json()["status"] == "open"
    (rating,) = await api.sql("SELECT excluded FROM rating")
    assert rating.excluded is False


async def test_the_overdue_event_once_the_due_day_has_ended(api) -> None:
    api.clock.china("2026-09-24")
    late = await bad_rating(api, "citizen-1")
    answered = await bad_rating(api, "citizen-2")
    await api.client.post(f"/v1/rectifications/{answered}/reply", json=REPLY, headers=api.staff())
    context = api.app.state.evaluation

    api.clock.now = datetime(2026, 10, 22, 15, 59, tzinfo=UTC)  # 23:59 on the due day in China
    assert await sweep(api.db, context) == 0
    assert (await api.client.get(f"/v1/rectifications/{late}", headers=api.staff())).json()["overdue"] is False

    api.clock.now = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)  # 00:00 on 23 October in China
    assert await sweep(api.db, context) == 1
    assert await sweep(api.db, context) == 0, "reported once"
    (event,) = await api.outbox(RectificationOverdue.type)
    data = RectificationOverdue.model_validate(event.data)
    assert (data.rectification_id, data.department, str(data.due)) == (late, api.DEPT_A, "2026-10-22")
    assert event.subject == late and event.topic == "gov.evaluation.ratings"

    listed = await api.client.get("/v1/rectifications", headers=api.staff(), params={"overdue": "true"})
    assert [r["id"] for r in listed.json()["items"]] == [late]
    assert listed.json()["items"][0]["overdue"] is True
    # A reply after the due day is recorded as late.
    replied = await api.client.post(f"/v1/rectifications/{late}/reply", json=REPLY, headers=api.staff())
    assert replied.json()["replied_on_time"] is False


async def test_the_time_limit_is_configurable(serve_evaluation, pg_url) -> None:
    async with serve_evaluation(database_url=pg_url, rectification_working_days=5) as api:
        api.clock.china("2026-09-24")
        rect = await bad_rating(api)
        resp = await api.client.get(f"/v1/rectifications/{rect}", headers=api.citizen())
        # After Thu 24 Sep: 25-27 off; 28, 29, 30 (3); 1-7 Oct off; 8, 9 (5).
        assert resp.json()["due"] == "2026-10-09"
