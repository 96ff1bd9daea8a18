"""On the production shape (PostgreSQL + Kafka) a registration reaches Kafka through the outbox as a
CloudEvent whose data validates against the documented schema."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer

from gov_common.events import CloudEvent
from gov_common.testing import serve_lifespan
from gov_contracts.identity import UserRegistered
from identity.main import create_app
from identity.models import Account
from identity.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


async def test_registration_is_published_to_kafka(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_url,
        event_bus="kafka",
        kafka_bootstrap_servers=kafka_bootstrap,
        environment="test",
    )
    app = create_app(settings)
    consumer = AIOKafkaConsumer(
        UserRegistered.topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"t-{uuid.uuid4().hex}",
        auto_offset_reset="latest",
    )
    await consumer.start()
    try:
        while not consumer.assignment():  # joined: "latest" now means after this point
            await consumer.getmany(timeout_ms=200)
        async with serve_lifespan(app) as client:
            resp = await client.post(
                "/v1/citizens",
                json={
                    "username": "zhangsan",
                    "real_name": "张三",
                    "id_number": "450102199001011231",
                    "phone": "13912345678",
                    "password": "Correct-horse-42",
                },
            )
            assert resp.status_code == 202, resp.text
            async with app.state.runtime.db.transaction() as session:
                account_id = str(await session.scalar(sa.select(Account.id).where(Account.username == "zhangsan")))
            found: CloudEvent | None = None
            raw = b""
            deadline = time.monotonic() + 20
            while found is None and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        event = CloudEvent.from_record(record.value, record.headers)
                        if event.subject == account_id:
                            found, raw = event, record.value or b""
                await asyncio.sleep(0)
    finally:
        await consumer.stop()
    assert found is not None, "the event reached Kafka"
    assert found.type == "identity.user.registered" and found.source == "/svc-identity"
    assert found.dataschema == UserRegistered.dataschema()
    data = UserRegistered.read(found.data)
    assert data.account_id == account_id and data.phone_masked == "139****5678"
    assert b"450102199001011231" not in raw and b"13912345678" not in raw
