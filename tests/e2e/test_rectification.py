"""Journey 3: a citizen's finished case, rated bad (差评) by the citizen, opens a rectification (整改) for the
department that handled it; the department's staff answer it through the API, the citizen reads the answer
and confirms it, and the state moves open -> replied -> confirmed as the evaluation service documents."""

from __future__ import annotations

import uuid

from harness import Platform
from steps_cases import FOOD_FORM, NANNING_MARKET, application_status, apply, find_item, handle
from steps_people import citizen, eventually, problem, staff

ZHANGSAN_ID = "450102199001011231"  # the demo citizen's synthetic ID number


def test_a_bad_rating_opens_a_rectification_that_the_department_answers(platform: Platform) -> None:
    zhangsan = citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, "食品经营许可")
    submitted = apply(zhangsan, item["implementation_code"], "张三", FOOD_FORM, id_number=ZHANGSAN_ID)
    department = {role: staff(platform, f"nn-{role}") for role in ("acceptor", "reviewer", "approver", "supervisor")}
    case = handle(department, submitted["tracking_number"])
    application_status(zhangsan, submitted["id"], "completed")

    # The citizen rates the finished case 非常不满意 with reasons from the public list.
    reasons = zhangsan.client.get("/api/evaluation/v1/reasons").json()
    bad = [r["code"] for r in reasons["bad"]]
    assert {"slow", "attitude"} <= set(bad)
    rating_in = {
        "case_id": case["id"],
        "level": 1,
        "reasons": ["slow", "attitude"],
        "comment": "等了很久",
        "channel": "web",
    }
    key = str(uuid.uuid4())

    def rate() -> dict[str, object] | None:
        # the evaluation service learns of the finished case from workflow.case.completed
        answer = zhangsan.post("/api/evaluation/v1/ratings", key=key, json=rating_in)
        if answer.status_code == 404 and answer.json()["type"].endswith(":case-not-ratable"):
            return None
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    rating = eventually(rate, "the finished case to become ratable")
    assert rating["bad"] is True and rating["level_name"] and rating["department"] == NANNING_MARKET
    rect_id = rating["rectification_id"]
    assert rect_id, rating
    again = zhangsan.post("/api/evaluation/v1/ratings", key=str(uuid.uuid4()), json=rating_in)
    problem(again, 409)  # a case is rated once
    # Staff who handled the case never rate it.
    problem(department["acceptor"].post("/api/evaluation/v1/ratings", key=str(uuid.uuid4()), json=rating_in), 403)

    # The department sees the open rectification, due in working days.
    acceptor = department["acceptor"]
    listed = acceptor.get("/api/evaluation/v1/rectifications", params={"status": "open"}).json()["items"]
    (rect,) = [r for r in listed if r["id"] == rect_id]
    assert rect["department"] == NANNING_MARKET and rect["overdue"] is False and rect["rating_id"] == rating["id"]
    assert rect["due"] > case["closed_at"][:10]
    # The citizen may not answer for the department; the department answers.
    answer = {
        "verification": "经核查，审查环节排队较长",
        "measures": "增设窗口，优化审查流程",
        "reply": "已整改，感谢监督",
    }
    problem(zhangsan.post(f"/api/evaluation/v1/rectifications/{rect_id}/reply", json=answer), 403)
    replied = acceptor.post(f"/api/evaluation/v1/rectifications/{rect_id}/reply", json=answer)
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "replied" and replied.json()["replied_on_time"] is True
    twice = problem(acceptor.post(f"/api/evaluation/v1/rectifications/{rect_id}/reply", json=answer), 409)
    assert str(twice["type"]).endswith(":invalid-rectification-transition") and twice["current_status"] == "replied"

    # The citizen reads the answer in their own list and confirms it.
    mine = zhangsan.get("/api/evaluation/v1/rectifications").json()["items"]
    (seen,) = [r for r in mine if r["id"] == rect_id]
    assert seen["status"] == "replied" and seen["reply"] == answer["reply"] and seen["measures"] == answer["measures"]
    problem(acceptor.post(f"/api/evaluation/v1/rectifications/{rect_id}/confirm", json={"feedback": "x"}), 403)
    confirmed = zhangsan.post(f"/api/evaluation/v1/rectifications/{rect_id}/confirm", json={"feedback": "满意"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["confirmed_at"]
    assert [h["action"] for h in confirmed.json()["history"]][-2:] == ["replied", "confirmed"]

    # The region's supervisor sees the whole story; the statistics count the bad rating for the department.
    supervised = department["supervisor"].get(f"/api/evaluation/v1/rectifications/{rect_id}")
    assert supervised.status_code == 200 and supervised.json()["status"] == "confirmed", supervised.text
    stats = department["supervisor"].get("/api/evaluation/v1/statistics", params={"group_by": "department"})
    assert stats.status_code == 200, stats.text
    (row,) = [r for r in stats.json()["rows"] if r["key"] == NANNING_MARKET]
    assert row["ratings"]["bad"] >= 1 and row["rectifications"]["rectified"] >= 1, row  # the demo adds its own
    assert row["rectifications"]["on_time"] >= 1
