"""The production shape (PostgreSQL + Kafka): ``workflow.case.completed`` published on Kafka makes the case
ratable once however often it is delivered, a malformed one is dead-lettered without blocking, and the
rating and overdue events reach Kafka through the outbox with their documented schemas."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from evaluation.worker import sweep
from gov_common.bus import Delivery
from gov_common.bus.kafka import KafkaBus
from gov_common.events import CloudEvent
from gov_contracts.evaluation import RatingSubmitted, RectificationOverdue
from gov_contracts.workflow import CaseCompleted


async def test_case_completed_on_kafka_to_rating_and_overdue_events(
    serve_evaluation, pg_url, kafka_bootstrap, topic
) -> None:
    prefix = f"{topic}."  # this test's own copy of every contract topic
    bus = KafkaBus(kafka_bootstrap, client_id="workflow-standin")
    await bus.start()
    received: dict[str, list[CloudEvent]] = {}

    async def downstream(event: CloudEvent, _d: Delivery) -> None:
        received.setdefault(event.subject, []).append(event)

    listener = bus.consumer(
        group=f"exchange-{uuid.uuid4().hex[:8]}", topics=[prefix + RatingSubmitted.topic], handler=downstream
    )
    try:
        async with serve_evaluation(
            database_url=pg_url,
            event_bus="kafka",
            kafka_bootstrap_servers=kafka_bootstrap,
            topic_prefix=prefix,
            consumer_max_attempts=2,
            consumer_retry_backoff_seconds=0.05,
        ) as api:
            data = api.case_completed(applicant="citizen-k")
            case_id = data["case_id"]
            event = CloudEvent(type=CaseCompleted.type, source="/svc-workflow", subject=case_id, data=data)
            poison = CloudEvent(type=CaseCompleted.type, source="/svc-workflow", subject="bad", data={"case_id": "bad"})
            other = CloudEvent(type="workflow.case.accepted", source="/svc-workflow", subject=case_id, data={})
            await bus.publish(prefix + CaseCompleted.topic, [poison, other, event, event])  # a duplicated delivery too
            await listener.start()

            async def ratable() -> bool:
                return bool(await api.sql("SELECT 1 FROM evaluated_case WHERE case_id = :c", c=case_id))

            await api.eventually(ratable, 30, "the case from Kafka")
            await asyncio.sleep(0.5)  # give the duplicate time to be (not) applied
            (row,) = await api.sql("SELECT applicant_subject, handled_by FROM evaluated_case")
            assert row.applicant_subject == "citizen-k" and len(row.handled_by) == 2

            api.clock.china("2026-09-24")
            resp = await api.rate(case_id, 1, who="citizen-k", reasons=["slow"])
            assert resp.status_code == 201, resp.text
            rating_id, rect_id = resp.json()["id"], resp.json()["rectification_id"]
            api.clock.now = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
            assert await sweep(api.db, api.app.state.evaluation) == 1
            api.app.state.runtime.relay.wake()

            async def both_published() -> bool:
                return rating_id in received and rect_id in received

            await api.eventually(both_published, 30, "rating and overdue events on Kafka")
            (submitted,) = received[rating_id]
            assert submitted.type == RatingSubmitted.type
            assert RatingSubmitted.model_validate(submitted.data).case_id == case_id
            (overdue,) = received[rect_id]
            assert overdue.type == RectificationOverdue.type
            assert RectificationOverdue.model_validate(overdue.data).rating_id == rating_id
            consumer = api.app.state.runtime.consumers[0]
            assert consumer.stats.dead_lettered == 1, "the malformed case event went to the dead-letter topic"
    finally:
        await listener.stop()
        await bus.stop()
