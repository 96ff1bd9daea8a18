"""On the production shape (PostgreSQL + Kafka) a publication reaches the topic as a CloudEvent whose
data validates against the documented schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from gov_common.bus import Delivery
from gov_common.events import CloudEvent
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts import catalog as contract


async def test_published_event_reaches_kafka(
    pg_url: str, kafka_bootstrap: str, app_factory: Callable[..., FastAPI], issuer: TestIssuer, food: dict[str, Any]
) -> None:
    app = app_factory(database_url=pg_url, event_bus="kafka", kafka_bootstrap_servers=kafka_bootstrap)
    editor = issuer.headers("e", kind="staff", roles=["catalog_editor"], region="450000")
    publisher = issuer.headers("p", kind="staff", roles=["catalog_publisher"], region="450000")
    async with serve_lifespan(app) as client:
        code = (await client.post("/v1/items", json={"definition": food}, headers=editor)).json()["implementation_code"]
        await client.post(f"/v1/items/{code}/versions/1/submit", headers=editor)
        assert (await client.post(f"/v1/items/{code}/versions/1/publish", headers=publisher)).status_code == 200
        async with app.state.runtime.db.transaction() as session:
            event_id = await session.scalar(sa.select(outbox_event.c.event_id))

        got: list[CloudEvent] = []

        async def handler(event: CloudEvent, _delivery: Delivery) -> None:
            if event.id == event_id:
                got.append(event)

        consumer = app.state.runtime.bus.consumer(
            group=f"catalog-test-{uuid.uuid4().hex[:8]}", topics=[contract.ItemPublished.topic], handler=handler
        )
        await consumer.start()
        try:
            for _ in range(300):
                if got:
                    break
                await asyncio.sleep(0.1)
        finally:
            await consumer.stop()
        async with app.state.runtime.db.transaction() as session:
            unpublished = await session.scalar(
                sa.select(sa.func.count()).select_from(outbox_event).where(outbox_event.c.published_at.is_(None))
            )
    assert len(got) == 1
    event = got[0]
    assert (event.type, event.subject, event.source) == (
        contract.ItemPublished.type,
        code,
        contract.ItemPublished.publisher,
    )
    data = contract.ItemPublished.model_validate(event.data)
    assert data.implementation_code == code and data.definition.name == "食品经营许可"
    assert unpublished == 0
