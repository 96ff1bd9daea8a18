"""Apache Kafka backend through aiokafka.

The producer is idempotent (``enable_idempotence``, ``acks=all``) and batches with ``linger_ms``;
``publish_records`` sends a whole batch without waiting per record, then awaits every acknowledgement.
Consumers join a group, read with auto-commit off and commit each partition's offset after handling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from gov_common.bus.base import Consumer, EventBus, Handler, Record, RetryPolicy
from gov_common.events import Headers


class KafkaBus(EventBus):
    def __init__(self, bootstrap_servers: str, *, client_id: str = "gov-platform", linger_ms: int = 5) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        # For measuring lag: committed offsets come from the admin client, end offsets from a consumer
        # outside any group (it never joins or commits). Opened on first use.
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        async with self._lock:
            if self._producer is not None:
                return
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self.client_id,
                enable_idempotence=True,
                acks="all",
                linger_ms=self.linger_ms,
                max_batch_size=256 * 1024,
                request_timeout_ms=15000,
            )
            await producer.start()
            self._producer = producer

    async def stop(self) -> None:
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
            await self._close_lag_clients()

    async def _close_lag_clients(self) -> None:
        admin, offsets, self._admin, self._offsets = self._admin, self._offsets, None, None
        if admin is not None:
            await admin.close()
        if offsets is not None:
            await offsets.stop()

    async def publish_records(self, topic: str, records: Sequence[tuple[bytes | None, bytes, Headers]]) -> None:
        if self._producer is None:
            await self.start()
        assert self._producer is not None
        futures = [
            await self._producer.send(topic, value=value, key=key, headers=list(headers))
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)

    async def ping(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), timeout=3)
            await asyncio.wait_for(admin.describe_cluster(), timeout=3)
        finally:
            await admin.close()

    async def lag(self, group: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        """High watermark minus the group's committed offset, per partition of ``topics`` that exists; a
        partition the group never committed counts from the start of the log (``auto_offset_reset``)."""
        try:
            if self._admin is None or self._offsets is None:
                admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5000)
                offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap_servers, enable_auto_commit=False)
                self._admin, self._offsets = admin, offsets
                await admin.start()
                await offsets.start()
            partitions = [
                TopicPartition(d["topic"], p["partition"])
                for d in await self._admin.describe_topics(list(topics))
                if d["error_code"] == 0
                for p in d["partitions"]
            ]
            if not partitions:
                return {}
            committed = await self._admin.list_consumer_group_offsets(group, partitions=partitions)
            ends = await self._offsets.end_offsets(partitions)
            starts = await self._offsets.beginning_offsets(partitions)
        except Exception:
            await self._close_lag_clients()  # start over with fresh clients next time
            raise
        lag = {}
        for tp in partitions:
            position = committed[tp].offset if tp in committed and committed[tp].offset >= 0 else starts[tp]
            lag[(tp.topic, tp.partition)] = max(ends[tp] - position, 0)
        return lag

    def consumer(
        self, *, group: str, topics: Sequence[str], handler: Handler, policy: RetryPolicy | None = None
    ) -> Consumer:
        return KafkaConsumer(self, group=group, topics=topics, handler=handler, policy=policy)


class KafkaConsumer(Consumer):
    bus: KafkaBus

    def __init__(self, bus: KafkaBus, **kwargs: object) -> None:
        super().__init__(bus, **kwargs)
        self._consumer: AIOKafkaConsumer | None = None

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bus.bootstrap_servers,
            group_id=self.group,
            client_id=f"{self.bus.client_id}:{self.group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_interval_ms=300000,
            session_timeout_ms=10000,
            heartbeat_interval_ms=3000,
        )

    async def _open(self) -> None:
        self._consumer = self._new_consumer()
        await self._consumer.start()

    async def _close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _handle_partition(self, messages: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """Handle one partition's records in order; the offset of the last one handled."""
        done = None
        for m in messages:
            if self.stopping:
                # Records fetched but not handled are read again by the next member.
                break
            await self.process(Record(m.topic, m.partition, m.offset, m.key, m.value, list(m.headers)))
            done = m.offset
        return done

    async def _run(self) -> None:
        if self._consumer is None:
            await self._open()
        consumer = self._consumer
        assert consumer is not None
        try:
            while not self.stopping:
                batches = await consumer.getmany(timeout_ms=200, max_records=500)
                if not batches:
                    continue
                # Partitions are handled concurrently, each in order: one key stays on one partition, so
                # order per key holds while a slow aggregate does not hold up the others.
                done = await asyncio.gather(*(self._handle_partition(msgs) for msgs in batches.values()))
                offsets = {
                    TopicPartition(tp.topic, tp.partition): last + 1
                    for tp, last in zip(batches, done, strict=True)
                    if last is not None
                }
                if offsets:
                    await consumer.commit(offsets)
        except Exception:
            # Start over from committed offsets with a fresh client.
            await self._close()
            raise
