"""The production shape (PostgreSQL + Kafka): the catalog's item arrives as an event, the citizen submits,
a stand-in for svc-workflow receives ``application.submitted``, accepts the case and asks for a
supplement (补正); the citizen sees what was asked, uploads it and resubmits; the workflow receives
``application.supplemented``; approval and completion follow."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

from gov_common.bus import Delivery
from gov_common.bus.kafka import KafkaBus
from gov_common.events import CloudEvent
from gov_contracts.application import ApplicationSubmitted, ApplicationSupplemented
from gov_contracts.catalog import ItemPublished
from gov_contracts.workflow import CaseEvent

from ..conftest import PNG, case_event, item_published_event


async def eventually(probe: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_supplement_loop_end_to_end_on_kafka_and_postgres(
    serve_application, pg_url, kafka_bootstrap, topic
) -> None:
    prefix = f"{topic}."  # this test's own copy of every contract topic
    catalog_topic, workflow_topic = prefix + ItemPublished.topic, prefix + CaseEvent.topic
    bus = KafkaBus(kafka_bootstrap, client_id="workflow-standin")
    await bus.start()
    received: list[CloudEvent] = []
    app_id: list[str] = []

    async def workflow_inbox(event: CloudEvent, _d: Delivery) -> None:
        if app_id and event.subject == app_id[0]:
            received.append(event)

    standin = bus.consumer(
        group=f"workflow-{uuid.uuid4().hex[:8]}", topics=[prefix + ApplicationSubmitted.topic], handler=workflow_inbox
    )
    try:
        async with serve_application(
            database_url=pg_url,
            event_bus="kafka",
            kafka_bootstrap_servers=kafka_bootstrap,
            topic_prefix=prefix,
            consumer_max_attempts=2,
        ) as svc:
            item = item_published_event()
            await bus.publish(catalog_topic, [item])

            async def item_known() -> bool:
                return bool(await svc.sql("SELECT 1 FROM catalog_item WHERE published"))

            await eventually(item_known, what="catalog.item.published consumed")

            citizen = svc.citizen("citizen-k")
            draft = await svc.complete_draft(citizen, item.subject)
            app_id.append(draft["id"])
            await standin.start()
            app = (await svc.submit(draft["id"], citizen)).json()
            assert app["status"] == "submitted"

            def got(type_: str) -> Callable[[], Awaitable[bool]]:
                async def probe() -> bool:
                    return any(e.type == type_ for e in received)

                return probe

            await eventually(got(ApplicationSubmitted.type), what="application.submitted at the workflow")
            submitted = ApplicationSubmitted.model_validate(
                next(e for e in received if e.type == ApplicationSubmitted.type).data
            )
            assert submitted.tracking_number == app["tracking_number"]

            case_id = f"case-{uuid.uuid4().hex[:8]}"
            asked = case_event(
                "workflow.case.supplement_requested",
                app,
                case_id,
                missing=[{"material": "经营场所平面图", "reason": "图纸不清晰"}],
                note="请补正平面图",
            )
            await bus.publish(
                workflow_topic,
                [
                    case_event("workflow.case.accepted", app, case_id, accepted_by="staff-1", deadline="2026-12-11"),
                    case_event("workflow.sla.warning", app, case_id),
                    CloudEvent(type="workflow.case.accepted", source="/svc-workflow", subject="bad", data={"x": 1}),
                    asked,
                    asked,  # delivered twice: applied once
                ],
            )

            def status_is(expected: str) -> Callable[[], Awaitable[bool]]:
                async def probe() -> bool:
                    resp = await svc.client.get(f"/v1/applications/{draft['id']}", headers=citizen)
                    return bool(resp.json()["status"] == expected)

                return probe

            await eventually(status_is("supplement_requested"), what="the supplement request")
            seen = (await svc.client.get(f"/v1/applications/{draft['id']}", headers=citizen)).json()
            assert seen["case_id"] == case_id
            assert seen["supplement_request"]["missing"] == [{"material": "经营场所平面图", "reason": "图纸不清晰"}]
            assert seen["supplement_request"]["note"] == "请补正平面图" and seen["supplement_request"]["round"] == 1

            early = await svc.client.post(f"/v1/applications/{draft['id']}/supplement", json={}, headers=citizen)
            assert early.status_code == 422
            assert early.json()["missing_materials"] == [{"name": "经营场所平面图", "reason": "图纸不清晰"}]

            up = await svc.upload(draft["id"], citizen, "经营场所平面图", PNG, "plan-v2.png")
            assert up.status_code == 201 and up.json()["round"] == 1
            resp = await svc.client.post(f"/v1/applications/{draft['id']}/supplement", json={}, headers=citizen)
            assert resp.status_code == 200 and resp.json()["status"] == "supplemented"

            await eventually(got(ApplicationSupplemented.type), what="application.supplemented at the workflow")
            (event,) = [e for e in received if e.type == ApplicationSupplemented.type]
            supplemented = ApplicationSupplemented.model_validate(event.data)
            assert supplemented.case_id == case_id and supplemented.tracking_number == app["tracking_number"]
            assert [(m.name, m.sha256) for m in supplemented.materials] == [("经营场所平面图", up.json()["sha256"])]

            await bus.publish(
                workflow_topic,
                [
                    case_event("workflow.case.approved", app, case_id, opinion="准予许可", decided_by="staff-2"),
                    case_event("workflow.case.completed", app, case_id, result="approved", handled_by=["staff-2"]),
                ],
            )
            await eventually(status_is("completed"), what="completion")
            history = (await svc.client.get(f"/v1/applications/{draft['id']}/history", headers=citizen)).json()["items"]
            assert [h["status"] for h in history] == [
                "draft",
                "submitted",
                "accepted",
                "supplement_requested",
                "supplemented",
                "approved",
                "completed",
            ]
            assert all(r.published_at is not None for r in await svc.outbox()), "the relay published on Kafka"
            (case_consumer,) = [c for c in svc.app.state.runtime.consumers if workflow_topic in c.topics]
            assert case_consumer.stats.dead_lettered == 1, "the malformed case event went to the dead-letter topic"
    finally:
        await standin.stop()
        await bus.stop()
