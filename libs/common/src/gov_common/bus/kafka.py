"""Apache Kafka backend through aiokafka.

The producer is idempotent (``enable_idempotence``, ``acks=all``) and batches with ``linger_ms``;
``publish_records`` sends a whole batch without waiting per record, then awaits every acknowledgement.
Consumers join a group, read with auto-commit off and commit each partition's offset after handling.
Every client (producer, consumers, the admin client and the offsets reader behind ``lag``) connects with
the same :class:`KafkaSecurity`: plaintext, TLS, SASL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) or both.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr

from gov_common.bus.base import Consumer, EventBus, Record
from gov_common.events import Headers

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


@dataclass(frozen=True)
class KafkaSecurity:
    """How the clients authenticate and encrypt (``ServiceSettings.kafka_*``). The password stays a
    ``SecretStr``, so that no repr or log shows it; only the clients get its value."""

    protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str = ""
    password: SecretStr = field(default_factory=lambda: SecretStr(""))
    cafile: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None

    def client_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments. The TLS context is made here, so a missing or unreadable CA or
        client-certificate file fails when the bus is created, not at the first connection."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.protocol in ("SSL", "SASL_SSL"):
            options["ssl_context"] = create_ssl_context(
                cafile=self.cafile, certfile=self.certfile, keyfile=self.keyfile
            )
        if self.protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.username
            options["sasl_plain_password"] = self.password.get_secret_value()
        return options


class KafkaSecurityError(Exception):
    """The brokers refused the client's login (wrong user or password, a mechanism they do not offer) or
    the TLS handshake failed (an untrusted or mismatched certificate). aiokafka itself only says that it
    could not bootstrap; this names the cause, for the logs and ``/readyz``."""


class _Startable(Protocol):
    async def start(self) -> None: ...


class KafkaBus(EventBus):
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "gov-platform",
        linger_ms: int = 5,
        security: KafkaSecurity | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.linger_ms = linger_ms
        self.security = security or KafkaSecurity()
        # What every client is made with: the brokers and how to reach them.
        self.connection: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            **self.security.client_options(),
        }
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
                **self.connection,
                client_id=self.client_id,
                enable_idempotence=True,
                acks="all",
                linger_ms=self.linger_ms,
                max_batch_size=256 * 1024,
                request_timeout_ms=15000,
            )
            try:
                await self.start_client(producer)
            except BaseException:
                await producer.stop()  # its half-opened connections and tasks
                raise
            self._producer = producer

    async def start_client(self, client: _Startable) -> None:
        """``client.start()``; a refused login or TLS handshake is raised as :class:`KafkaSecurityError`."""
        try:
            await client.start()
        except KafkaConnectionError as exc:
            refusal = await self._refusal() if self.security.protocol != "PLAINTEXT" else None
            if refusal is not None:
                raise KafkaSecurityError(refusal) from exc
            raise

    async def _refusal(self) -> str | None:
        """Why the brokers refuse this client, if they do: one direct connection per bootstrap address."""
        options = {k: v for k, v in self.connection.items() if k != "bootstrap_servers"}
        for address in self.bootstrap_servers.split(","):
            host, _, port = address.strip().rpartition(":")
            try:
                conn = await asyncio.wait_for(
                    create_conn(host.strip("[]"), int(port), client_id=self.client_id, **options), timeout=5
                )
            except (
                SaslAuthenticationFailed,
                AuthenticationFailedError,
                UnsupportedSaslMechanismError,
                IllegalSaslStateError,
            ) as exc:
                who = f"user {self.security.username!r} ({self.security.sasl_mechanism})"
                return f"Kafka at {address.strip()} refused {who}: {exc}"
            except ssl.SSLError as exc:
                return f"TLS handshake with Kafka at {address.strip()} failed: {exc}"
            except KafkaConnectionError as exc:
                # Over TLS 1.3 the broker checks the client's certificate after the client finished its side
                # of the handshake, then closes the connection: the client only sees it closed.
                if self.security.protocol in ("SSL", "SASL_SSL") and str(exc).endswith(" closed"):
                    presented = (
                        f"the certificate in {self.security.certfile}" if self.security.certfile else "no certificate"
                    )
                    return (
                        f"Kafka at {address.strip()} closed the connection after the TLS handshake, as a listener "
                        f"does that requires a client certificate it trusts (KAFKA_SSL_CERTFILE, KAFKA_SSL_KEYFILE; "
                        f"or is it not a TLS listener of this protocol?); this client presented {presented}"
                    )
                continue
            except (OSError, KafkaError, TimeoutError, ValueError):
                continue  # unreachable or slow: not a refusal
            conn.close()
        return None

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
        admin = AIOKafkaAdminClient(**self.connection, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(self.start_client(admin), timeout=3)
            await asyncio.wait_for(admin.describe_cluster(), timeout=3)
        finally:
            await admin.close()

    async def lag(self, group: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        """High watermark minus the group's committed offset, per partition of ``topics`` that exists; a
        partition the group never committed counts from the start of the log (``auto_offset_reset``)."""
        try:
            if self._admin is None or self._offsets is None:
                admin = AIOKafkaAdminClient(**self.connection, request_timeout_ms=5000)
                offsets = AIOKafkaConsumer(**self.connection, enable_auto_commit=False)
                self._admin, self._offsets = admin, offsets
                await self.start_client(admin)
                await self.start_client(offsets)
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


class KafkaConsumer(Consumer):
    bus: KafkaBus

    def __init__(self, bus: KafkaBus, **kwargs: Any) -> None:
        super().__init__(bus, **kwargs)
        self._consumer: AIOKafkaConsumer | None = None

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *self.topics,
            **self.bus.connection,
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
        await self.bus.start_client(self._consumer)

    async def _close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _handle_partition(self, messages: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """Handle one partition's records in order; the offset of the last one handled (records fetched but
        not handled when stopping are read again by the next member)."""
        records = [Record(m.topic, m.partition, m.offset, m.key, m.value, list(m.headers)) for m in messages]
        handled = await self.process_many(records)
        return records[handled - 1].offset if handled else None

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


KafkaBus.consumer_class = KafkaConsumer
