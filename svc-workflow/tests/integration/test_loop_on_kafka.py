"""The whole loop on the production shape (PostgreSQL + Kafka): application events in, staff act, and
the workflow.case.* events application acts on come out on Kafka, valid against their schemas."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gov_common.bus import Delivery
from gov_common.events import CloudEvent
from gov_contracts import registry
from gov_contracts.workflow import (
    CaseAccepted,
    CaseApproved,
    CaseCompleted,
    CaseEvent,
    CaseRefused,
    SupplementRequested,
)

from ..conftest import Env, from_license, later, submitted, supplemented


async def _collect(
    env: Env, case_ids: set[str], want: dict[str, list[str]], timeout: float = 60
) -> dict[str, list[CloudEvent]]:
    """Read gov.workflow.cases from Kafka until each case has the ``want``ed event types."""
    got: dict[str, list[CloudEvent]] = {c: [] for c in case_ids}

    async def handler(event: CloudEvent, _delivery: Delivery) -> None:
        if event.subject in got:
            got[event.subject].append(event)

    consumer = env.app.state.runtime.bus.consumer(
        group=f"workflow-test-{uuid.uuid4().hex[:8]}", topics=[env.topic(CaseEvent)], handler=handler
    )
    await consumer.start()
    try:
        for _ in range(int(timeout / 0.1)):
            if all([e.type for e in got[c]] == want[c] for c in case_ids):
                break
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
    return got


async def test_accept_supplement_approve_and_refuse_on_kafka(pg_url: str, kafka_bootstrap: str, start_env: Any) -> None:
    async with start_env(pg_url, kafka=kafka_bootstrap) as env:
        await env.publish_item()
        app = submitted()
        refused_app = submitted(applicant="citizen-2")
        case = await env.submit(app)
        refused = await env.submit(refused_app)
        missing = {
            "action": "request_supplement",
            "opinion": "请补正",
            "missing": [{"material": "营业执照", "reason": "缺少"}],
        }
        assert (await env.act(case.id, "accept", "acceptor", missing)).json()["status"] == "supplementing"
        later(env.clock, 1)
        await env.send(supplemented(app, case, env.clock.now(), [from_license("营业执照", "L1")]))
        await env.case_of(app.application_id, status="accepting")
        await env.act(case.id, "accept", "acceptor", {"action": "accept", "opinion": "予以受理"})
        await env.act(case.id, "review", "reviewer", {"action": "complete", "opinion": "审查通过"})
        await env.act(case.id, "decide", "approver", {"action": "approve", "opinion": "准予许可"})
        await env.act(case.id, "deliver", "acceptor", {"action": "complete", "opinion": "已送达"})
        await env.act(
            refused.id, "accept", "acceptor", {"action": "refuse", "opinion": "不予受理", "reason": "不属于本机关"}
        )
        want = {
            str(case.id): [SupplementRequested.type, CaseAccepted.type, CaseApproved.type, CaseCompleted.type],
            str(refused.id): [CaseRefused.type],
        }
        got = await _collect(env, set(want), want)
    assert {c: [e.type for e in got[c]] for c in want} == want
    for case_events in got.values():
        for event in case_events:
            contract = registry.by_type()[event.type]
            body = contract.model_validate(event.data)  # strictly: what was published is the contract
            assert event.source == contract.publisher and event.dataschema == contract.dataschema()
            assert getattr(body, "application_id", None) in (app.application_id, refused_app.application_id)
    accepted = CaseAccepted.model_validate(got[str(case.id)][1].data)
    assert accepted.tracking_number == app.tracking_number and accepted.applicant.subject == "citizen-1"
    assert CaseRefused.model_validate(got[str(refused.id)][0].data).reason == "不属于本机关"
