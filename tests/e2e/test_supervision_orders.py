"""Journey 5b: supervision orders (督办) and a city platform's case, supervised like ours, through the gateway.
A Nanning supervisor orders the food licence's department to explain a case; a city platform pushes a case it
accepted with its deadline. The workflow clock is moved past both deadlines (a restart with
WORKFLOW_CLOCK_OFFSET_SECONDS, as journey 5 does): the sweep escalates the unanswered order one level up the
region tree and turns the city case red; the department replies late; the city platform reports the case
completed after its deadline, and the supervision summary counts the late reply, the escalation and the city
case in the on-time rate. Bad input and a citizen's try change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from harness import Platform
from steps_cases import FOOD_FORM, NANNING, NANNING_MARKET, apply, do_step, find_item
from steps_exchange import register_city_platform
from steps_people import Person, citizen, eventually, problem, staff

from gov_standards.china_time import CHINA_TZ as CHINA

ORDERS = "/api/workflow/v1/supervision/orders"
CASES_WRITE = "exchange.cases.write"
IDENTIFIER = f"GX/city/{NANNING_MARKET}/e2e-supervised-platform"
ZHANGSAN_ID = "450102199001011231"


def offset_to(day: date) -> str:
    """Seconds from now to noon of ``day`` in China, for WORKFLOW_CLOCK_OFFSET_SECONDS."""
    return str(int((datetime.combine(day, clock_time(12), CHINA) - datetime.now(UTC)).total_seconds()))


def summary(supervisor: Person) -> dict[str, Any]:
    answer = supervisor.get("/api/workflow/v1/supervision/summary", params={"region": NANNING})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_an_order_is_escalated_answered_late_and_a_city_case_turns_red(platform: Platform) -> None:
    zhangsan = citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, "食品经营许可")
    submitted = apply(zhangsan, item["implementation_code"], "张三", FOOD_FORM, id_number=ZHANGSAN_ID)
    acceptor, supervisor = staff(platform, "nn-acceptor"), staff(platform, "nn-supervisor")
    case = do_step(acceptor, submitted["tracking_number"], "accept", "accept", "材料齐全，予以受理")
    before = summary(supervisor)

    # Refused, nothing written: a citizen, a body without its department, zero working days.
    order = {"target": "case", "case_id": case["id"], "reason": "群众反映办理缓慢，请说明原因", "working_days": 1}
    problem(zhangsan.post(ORDERS, json=order), 403)
    problem(supervisor.post(ORDERS, json=order | {"target": "department"}), 422)
    problem(supervisor.post(ORDERS, json=order | {"working_days": 0}), 422)
    assert summary(supervisor)["orders"] == before["orders"]
    issued = supervisor.post(ORDERS, json=order, key=f"order-{case['id']}")
    assert issued.status_code == 201, issued.text
    order_id, order_deadline = issued.json()["id"], date.fromisoformat(issued.json()["deadline"])
    assert (acceptor.get(f"{ORDERS}/{order_id}").json()["department"]) == NANNING_MARKET

    # A city platform pushes a case it accepted today, promised by the order's deadline.
    admin = staff(platform, "gx-platform-admin")
    system = register_city_platform(
        admin, IDENTIFIER, NANNING, NANNING_MARKET, client_scopes=[CASES_WRITE], granted=[CASES_WRITE]
    )
    city = system.sign_in(platform, CASES_WRITE)
    now = datetime.now(CHINA).replace(microsecond=0)
    city_case = {
        "case_id": "NN-CITY-SUP-000001",
        "tracking_number": "NN-CITY-SUP-000001",
        "item_code": item["implementation_code"],
        "item_name": "食品经营许可",
        "region": "450103",
        "department": NANNING_MARKET,
        "status": "accepted",
        "status_at": now.isoformat(),
        "received_at": now.isoformat(),
        "accepted_at": now.isoformat(),
        "deadline": order_deadline.isoformat(),
        "changes": [{"status": "received", "status_at": now.isoformat()}],
    }
    pushed = city.post("/api/exchange/v1/cases:push", json={"cases": [city_case]})
    assert pushed.status_code == 200 and pushed.json()["created"] == 1, pushed.text

    def supervised() -> dict[str, Any] | None:
        page = supervisor.get("/api/workflow/v1/supervision/external-cases", params={"limit": 100})
        assert page.status_code == 200, page.text
        found = [c for c in page.json()["items"] if c["external_id"] == city_case["case_id"]]
        return found[0] if found else None

    seen = eventually(supervised, "the city case in workflow's supervision (exchange → Kafka → workflow)")
    assert seen["deadline"] == order_deadline.isoformat() and seen["sla_level"] == "green"

    # A week past both deadlines: the order goes up to the province, the city case is red.
    later = order_deadline + timedelta(days=7)
    platform.restart("workflow", WORKFLOW_CLOCK_OFFSET_SECONDS=offset_to(later))
    sweep = supervisor.post("/api/workflow/v1/supervision/evaluations", json={})
    assert sweep.status_code == 200, sweep.text
    assert sweep.json()["orders_escalated"] >= 1 and sweep.json()["city_platform_overdue"] >= 1, sweep.json()
    escalated = supervisor.get(f"{ORDERS}/{order_id}").json()
    assert (escalated["holder_region"], escalated["escalations"], escalated["overdue"]) == ("450000", 1, False)
    red = supervisor.get(f"/api/workflow/v1/supervision/external-cases/{seen['id']}").json()
    assert red["sla_level"] == "red"

    replied = acceptor.post(f"{ORDERS}/{order_id}/reply", json={"reply": "已加快办理，明日办结"})
    assert replied.status_code == 200 and replied.json()["late"] is True, replied.text
    trace = acceptor.get(f"/api/workflow/v1/cases/{case['id']}/trace").json()["entries"]
    assert [e["action"] for e in trace if e["action"].startswith("supervision_order")] == [
        "supervision_order_issued",
        "supervision_order_escalated",
        "supervision_order_replied",
    ]

    # The platform reports the case completed on the moved day, after its deadline.
    done_at = datetime.combine(later, clock_time(11), CHINA).isoformat()
    done = city.post(
        "/api/exchange/v1/cases:push", json={"cases": [city_case | {"status": "completed", "status_at": done_at}]}
    )
    assert done.status_code == 200 and done.json()["updated"] == 1, done.text

    def decided() -> dict[str, Any] | None:
        got = supervisor.get(f"/api/workflow/v1/supervision/external-cases/{seen['id']}").json()
        return got if got["status"] == "completed" else None

    assert eventually(decided, "the city case's completion in supervision")["on_time"] is False
    after = summary(supervisor)
    assert after["orders"]["replied_late"] == before["orders"]["replied_late"] + 1, after["orders"]
    assert after["orders"]["escalated"] == before["orders"]["escalated"] + 1
    pushed_before, pushed_after = before["city_platform"], after["city_platform"]
    assert pushed_after["completed"] == pushed_before["completed"] + 1
    assert after["on_time_rate"] is not None and after["on_time_rate"] < 1
