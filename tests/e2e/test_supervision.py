"""Journey 5: electronic supervision (电子监察). A case is opened and accepted; the workflow service's clock is
moved (a restart with WORKFLOW_CLOCK_OFFSET_SECONDS, as a drill would) to the case's deadline day, then past
it: the supervision view shows the case yellow, then red (overdue), and each level is announced once on
``gov.workflow.cases``. Tokens are still checked against the real time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from harness import Platform
from steps_cases import FOOD_FORM, NANNING, apply, do_step, find_item
from steps_people import Person, citizen, staff

from gov_standards.china_time import CHINA_TZ as CHINA

ZHANGSAN_ID = "450102199001011231"


def offset_to(day: date) -> str:
    """Seconds from now to noon of ``day`` in China, for WORKFLOW_CLOCK_OFFSET_SECONDS."""
    return str(int((datetime.combine(day, clock_time(12), CHINA) - datetime.now(UTC)).total_seconds()))


def supervised(supervisor: Person, level: str, tracking_number: str) -> list[dict[str, object]]:
    page = supervisor.get("/api/workflow/v1/supervision/cases", params={"level": level, "limit": 100})
    assert page.status_code == 200, page.text
    return [c for c in page.json()["items"] if c["tracking_number"] == tracking_number]


def sweep(supervisor: Person) -> dict[str, int]:
    run = supervisor.post("/api/workflow/v1/supervision/evaluations", json={})
    assert run.status_code == 200, run.text
    return dict(run.json())


async def announcements(bootstrap: str, since_ms: int, case_id: str) -> list[str]:
    """The types of the SLA events about ``case_id`` on gov.workflow.cases since ``since_ms``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (topic,) = await admin.describe_topics(["gov.workflow.cases"])
    finally:
        await admin.close()
    parts = [TopicPartition("gov.workflow.cases", p["partition"]) for p in topic["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(parts)
        starts = await consumer.offsets_for_times(dict.fromkeys(parts, since_ms))
        ends = await consumer.end_offsets(parts)
        for tp in parts:
            start = starts[tp]
            consumer.seek(tp, start.offset if start is not None else ends[tp])
        types: list[str] = []
        while any([await consumer.position(tp) < ends[tp] for tp in parts]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    if headers.get("ce_subject") == case_id and headers.get("ce_type", "").startswith("workflow.sla."):
                        types.append(headers["ce_type"])
        return types
    finally:
        await consumer.stop()


def test_the_supervision_view_shows_the_overdue_case_when_the_clock_moves_past_its_deadline(
    platform: Platform, kafka_bootstrap: str
) -> None:
    started_ms = int(time.time() * 1000) - 60_000
    zhangsan = citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, "食品经营许可")
    submitted = apply(zhangsan, item["implementation_code"], "张三", FOOD_FORM, id_number=ZHANGSAN_ID)
    number = submitted["tracking_number"]
    acceptor, supervisor = staff(platform, "nn-acceptor"), staff(platform, "nn-supervisor")
    case = do_step(acceptor, number, "accept", "accept", "材料齐全，予以受理")
    deadline = date.fromisoformat(case["deadline"])
    assert case["sla_level"] == "green" and deadline > datetime.now(CHINA).date()

    # Today the case is on time: green in the view, not among the red ones.
    assert supervised(supervisor, "green", number) and not supervised(supervisor, "red", number)
    assert sweep(supervisor)["overdue"] == 0

    # The deadline day: most of the time limit is used, a yellow warning.
    platform.restart("workflow", WORKFLOW_CLOCK_OFFSET_SECONDS=offset_to(deadline))
    assert "ahead of real time" in platform.log("workflow", 200)
    assert sweep(supervisor)["warned"] >= 1  # the supervisor's token, minted before the move, still passes
    (yellow,) = supervised(supervisor, "yellow", number)
    assert yellow["status"] == "reviewing" and yellow["deadline"] == case["deadline"]

    # The day after: overdue, red; the summary counts it, a second sweep announces nothing new.
    platform.restart("workflow", WORKFLOW_CLOCK_OFFSET_SECONDS=offset_to(deadline + timedelta(days=1)))
    assert sweep(supervisor)["overdue"] >= 1
    (red,) = supervised(supervisor, "red", number)
    assert red["on_time"] is None and red["closed_at"] is None
    assert not supervised(supervisor, "yellow", number)
    summary = supervisor.get("/api/workflow/v1/supervision/summary", params={"region": NANNING}).json()
    assert summary["open_by_level"]["red"] >= 1 and summary["overdue_steps"] >= 1, summary
    assert sweep(supervisor)["overdue"] == 0
    seen = supervisor.get(f"/api/workflow/v1/cases/{case['id']}").json()
    assert seen["sla_level"] == "red"
    # The applicant's view of the case shows the same level.
    assert zhangsan.get(f"/api/workflow/v1/cases/{case['id']}").json()["sla_level"] == "red"

    # Each level was announced exactly once.
    types = asyncio.run(announcements(kafka_bootstrap, started_ms, case["id"]))
    assert sorted(types) == ["workflow.sla.overdue", "workflow.sla.warning"], types
