"""The production shape (PostgreSQL + Kafka): a fee request published by the workflow on Kafka becomes
one order (however often it is delivered), a malformed one is dead-lettered without blocking, and after
payment the workflow receives ``payment.order.paid`` with the case id and can continue."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gov_common.bus import Delivery
from gov_common.bus.kafka import KafkaBus
from gov_common.events import CloudEvent
from gov_contracts.payment import OrderCreated, OrderPaid
from gov_contracts.workflow import FeeRequested


async def test_fee_request_on_kafka_to_paid_event_the_workflow_continues_on(
    serve_payment, pg_url, kafka_bootstrap, topic
) -> None:
    prefix = f"{topic}."  # this test's own copy of every contract topic
    workflow_bus = KafkaBus(kafka_bootstrap, client_id="workflow-standin")
    await workflow_bus.start()
    continued: dict[str, list[CloudEvent]] = {}

    async def workflow_handler(event: CloudEvent, _d: Delivery) -> None:
        # A stand-in for svc-workflow: it continues the case named in payment.order.paid.
        if event.type == OrderPaid.type:
            data = OrderPaid.model_validate(event.data)
            continued.setdefault(data.case_id, []).append(event)

    workflow = workflow_bus.consumer(
        group=f"workflow-{uuid.uuid4().hex[:8]}", topics=[prefix + OrderPaid.topic], handler=workflow_handler
    )
    try:
        async with serve_payment(
            database_url=pg_url,
            event_bus="kafka",
            kafka_bootstrap_servers=kafka_bootstrap,
            topic_prefix=prefix,
            consumer_max_attempts=2,
            consumer_retry_backoff_seconds=0.05,
        ) as svc:
            request: dict[str, Any] = svc.fee_request(applicant="citizen-k", amounts=(2500,))
            FeeRequested.model_validate(request)
            event = CloudEvent(type=FeeRequested.type, source="/svc-workflow", subject=request["case_id"], data=request)
            poison = CloudEvent(type=FeeRequested.type, source="/svc-workflow", subject="bad", data={"case_id": "bad"})
            other = CloudEvent(
                type="workflow.case.accepted", source="/svc-workflow", subject=request["case_id"], data={}
            )
            await workflow_bus.publish(
                prefix + FeeRequested.topic, [poison, other, event, event]
            )  # duplicated delivery
            await workflow.start()

            async def one_order() -> bool:
                return len(await svc.sql("SELECT id FROM payment_order")) == 1

            await svc.eventually(one_order, 60, "the order from the Kafka fee request")
            await asyncio.sleep(0.5)  # give the duplicate time to be (not) applied
            (row,) = await svc.sql("SELECT id, case_id, amount_fen, applicant_subject FROM payment_order")
            assert (row.case_id, row.amount_fen, row.applicant_subject) == (request["case_id"], 2500, "citizen-k")
            order_id = str(row.id)

            pay_url = await svc.start_payment(order_id, "citizen-k")
            await svc.pay_at_channel(pay_url)

            async def continued_on_case() -> bool:
                return request["case_id"] in continued

            await svc.eventually(continued_on_case, 60, "payment.order.paid at the workflow")
            (paid_event,) = continued[request["case_id"]]
            assert paid_event.subject == order_id
            assert paid_event.data["amount_fen"] == 2500 and paid_event.data["order_id"] == order_id
            assert [r.type for r in await svc.outbox()] == [OrderCreated.type, OrderPaid.type]

            async def all_marked() -> bool:  # the relay marks a batch after Kafka acknowledged it
                return all(r.published_at is not None for r in await svc.outbox())

            await svc.eventually(all_marked, 10, "the relay marked them published on Kafka")
            consumer = svc.app.state.runtime.consumers[0]
            assert consumer.stats.dead_lettered == 1, "the malformed fee request went to the dead-letter topic"
    finally:
        await workflow.stop()
        await workflow_bus.stop()
