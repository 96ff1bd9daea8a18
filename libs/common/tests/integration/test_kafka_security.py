"""The event bus against the test broker's authenticating listeners (scripts/infra.sh): SASL_PLAINTEXT and
SASL_SSL (its own test CA), one user with SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN credentials."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import Delivery, create_bus
from gov_common.bus.kafka import KafkaBus, KafkaSecurityError
from gov_common.events import CloudEvent
from gov_common.messaging import metadata as messaging_metadata
from gov_common.service import ServiceSpec, Subscription, create_service_app
from gov_common.settings import ServiceSettings
from gov_common.testing import database_with, eventually, serve_lifespan

from .conftest import wait_until

WRONG = "not-the-password-at-all"


@dataclass(frozen=True)
class Broker:
    sasl: str
    sasl_ssl: str
    username: str
    password: str
    cafile: Path


def broker_env(*names: str) -> dict[str, str]:
    """``GOV_TEST_KAFKA_<name>`` for each name (scripts/infra.sh env); the test fails when one is unset."""
    values = {name: os.environ.get(f"GOV_TEST_KAFKA_{name}", "") for name in names}
    missing = [f"GOV_TEST_KAFKA_{name}" for name, value in values.items() if not value]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run the tests with `make test` (`scripts/infra.sh env` has them)")
    return values


@pytest.fixture(scope="module")
def broker() -> Broker:
    values = broker_env("SASL_BOOTSTRAP", "SASL_SSL_BOOTSTRAP", "SASL_USERNAME", "SASL_PASSWORD", "SSL_CAFILE")
    return Broker(
        values["SASL_BOOTSTRAP"],
        values["SASL_SSL_BOOTSTRAP"],
        values["SASL_USERNAME"],
        values["SASL_PASSWORD"],
        Path(values["SSL_CAFILE"]),
    )


def settings(broker: Broker, protocol: str = "SASL_PLAINTEXT", **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": "sasl-test",
        "event_bus": "kafka",
        "kafka_security_protocol": protocol,
        "kafka_bootstrap_servers": broker.sasl_ssl if protocol.endswith("SSL") else broker.sasl,
        "kafka_sasl_username": broker.username,
        "kafka_sasl_password": broker.password,
    }
    if protocol.endswith("SSL"):
        values["kafka_ssl_cafile"] = broker.cafile
    return ServiceSettings(**(values | overrides))


def kafka_bus(config: ServiceSettings) -> KafkaBus:
    bus = create_bus(config)
    assert isinstance(bus, KafkaBus)
    return bus


def ev(n: int) -> CloudEvent:
    return CloudEvent(type="test.thing.happened", source="/tests", subject=f"k-{n % 3}", data={"n": n})


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [
        ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-256"),
        ("SASL_SSL", "SCRAM-SHA-512"),
        ("SASL_SSL", "PLAIN"),
    ],
)
async def test_publish_consume_and_measure_lag(broker: Broker, topic: str, protocol: str, mechanism: str) -> None:
    """Producer, a consumer group, the readiness probe and the lag reader all log in and work."""
    await exercise(kafka_bus(settings(broker, protocol, kafka_sasl_mechanism=mechanism)), topic)


async def exercise(bus: KafkaBus, topic: str, count: int = 20) -> None:
    """Everything a service's bus does, over ``bus``'s login: publish, consume in a group, the readiness
    ping, and the lag reader, which reads zero once the group has caught up."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    seen: list[int] = []

    async def handler(event: CloudEvent, _d: Delivery) -> None:
        seen.append(event.data["n"])

    await bus.start()
    consumer = bus.consumer(group=group, topics=[topic], handler=handler)
    try:
        await bus.publish(topic, [ev(n) for n in range(count)])
        await consumer.start()
        await wait_until(lambda: len(seen) >= count, timeout=60, what=f"the events over {bus.security.protocol}")
        await bus.ping()

        async def caught_up() -> bool:
            lag = await bus.lag(group, [topic])
            return bool(lag) and not any(lag.values())

        await eventually(caught_up, "zero lag")
    finally:
        await consumer.stop()
        await bus.stop()
    assert sorted(seen) == list(range(count))


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
async def test_a_wrong_password_is_named_as_such(broker: Broker, protocol: str) -> None:
    bus = kafka_bus(settings(broker, protocol, kafka_sasl_password=WRONG))
    refused = rf"refused user '{broker.username}' \(SCRAM-SHA-512\): .*invalid credentials"
    try:
        with pytest.raises(KafkaSecurityError, match=refused) as caught:
            await bus.start()
        with pytest.raises(KafkaSecurityError, match=refused):
            await bus.ping()
        with pytest.raises(KafkaSecurityError, match=refused):
            await bus.lag("any-group", ["any-topic"])
    finally:
        await bus.stop()
    assert WRONG not in str(caught.value) and broker.password not in str(caught.value)


async def test_an_untrusted_broker_certificate_is_named_as_such(broker: Broker) -> None:
    """Without the test CA (the system's CAs instead), the handshake fails and says why."""
    bus = kafka_bus(settings(broker, "SASL_SSL", kafka_ssl_cafile=None))
    try:
        with pytest.raises(
            KafkaSecurityError, match=r"TLS handshake with Kafka at .* failed: .*CERTIFICATE_VERIFY_FAILED"
        ):
            await bus.ping()
    finally:
        await bus.stop()


async def test_the_listener_takes_no_anonymous_client(broker: Broker) -> None:
    """What makes the tests above mean something: the SASL listener refuses a client without a login."""
    bus = KafkaBus(broker.sasl, client_id="anonymous")
    try:
        with pytest.raises((KafkaConnectionError, TimeoutError)):
            await bus.ping()
    finally:
        await bus.stop()


@pytest.mark.parametrize("password", ["right", "wrong"])
async def test_a_service_on_sasl_reports_readiness_and_never_logs_the_password(
    broker: Broker, topic: str, tmp_path: Path, capfd: pytest.CaptureFixture[str], password: str
) -> None:
    """A whole service (relay, a consumer group, /readyz, /metrics' lag) logging at DEBUG, with PLAIN over
    TLS, whose authentication bytes carry the password itself. Wrong: not ready, and the logs say why."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}"
    async with database_with(url, messaging_metadata):
        pass
    handled: list[str] = []

    async def handle(_session: AsyncSession, event: CloudEvent) -> None:
        handled.append(event.id)

    given = broker.password if password == "right" else WRONG
    config = settings(
        broker,
        "SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_password=given,
        database_url=url,
        data_dir=tmp_path,
        migrate_on_start=False,
        log_level="DEBUG",
    )
    spec = ServiceSpec(
        name="sasl-test",
        title="t",
        description="",
        settings_cls=ServiceSettings,
        migrations_dir=tmp_path,
        metadata=messaging_metadata,
        subscriptions=[Subscription(f"g-{uuid.uuid4().hex[:8]}", [topic], handle)],
    )
    app = create_service_app(spec, config)
    async with serve_lifespan(app) as http:
        if password == "right":
            publisher = kafka_bus(settings(broker))
            try:
                await publisher.publish(topic, [ev(1)])
            finally:
                await publisher.stop()
            await wait_until(lambda: len(handled) == 1, timeout=60, what="the event through the service")
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
        else:
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"database": "ok", "event_bus": "down"}
            logged = ""

            def said_why() -> bool:
                nonlocal logged
                logged += capfd.readouterr().err
                return "KafkaSecurityError" in logged

            await wait_until(said_why, timeout=30, what="the consumer's log of the refusal")
            assert f"refused user '{broker.username}' (PLAIN)" in logged
    logged = capfd.readouterr().err if password == "right" else logged + capfd.readouterr().err
    assert "sasl-test started" in logged
    assert given not in logged and broker.password not in logged
    assert ("readiness check event_bus failed: KafkaSecurityError" in logged) == (password == "wrong")


# --- mutual TLS: the broker's third listener requires a client certificate from the test CA ------------


@dataclass(frozen=True)
class MutualTls:
    bootstrap: str
    cafile: Path
    certfile: Path
    keyfile: Path


@pytest.fixture(scope="module")
def mtls() -> MutualTls:
    values = broker_env("MTLS_BOOTSTRAP", "SSL_CAFILE", "SSL_CERTFILE", "SSL_KEYFILE")
    return MutualTls(
        values["MTLS_BOOTSTRAP"], Path(values["SSL_CAFILE"]), Path(values["SSL_CERTFILE"]), Path(values["SSL_KEYFILE"])
    )


def mtls_bus(broker: MutualTls, **overrides: Any) -> KafkaBus:
    values: dict[str, Any] = {
        "service_name": "mtls-test",
        "event_bus": "kafka",
        "kafka_security_protocol": "SSL",
        "kafka_bootstrap_servers": broker.bootstrap,
        "kafka_ssl_cafile": broker.cafile,
        "kafka_ssl_certfile": broker.certfile,
        "kafka_ssl_keyfile": broker.keyfile,
    }
    return kafka_bus(ServiceSettings(**(values | overrides)))


async def test_a_client_certificate_logs_in_over_mutual_tls(mtls: MutualTls, topic: str) -> None:
    """KAFKA_SSL_CERTFILE / KAFKA_SSL_KEYFILE: producer, a consumer group, readiness and lag over the
    listener that requires a client certificate."""
    await exercise(mtls_bus(mtls), topic)


@pytest.mark.parametrize("certificate", ["none", "another CA's"])
async def test_the_mutual_tls_listener_refuses_clients_without_a_trusted_certificate(
    mtls: MutualTls, certificate: str, tmp_path: Path
) -> None:
    """What makes the test above mean something: without a client certificate, or with one the broker's CA
    did not sign, no client of the bus gets through."""
    overrides: dict[str, Any] = {"kafka_ssl_certfile": None, "kafka_ssl_keyfile": None}
    if certificate != "none":
        import subprocess

        cert, key = tmp_path / "self.crt", tmp_path / "self.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=intruder",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        overrides = {"kafka_ssl_certfile": cert, "kafka_ssl_keyfile": key}
    bus = mtls_bus(mtls, **overrides)
    presented = "no certificate" if certificate == "none" else f"the certificate in {overrides['kafka_ssl_certfile']}"
    named = rf"closed the connection after the TLS handshake, as a listener does that requires a client certificate it trusts .*presented {presented}$"
    try:
        with pytest.raises(KafkaSecurityError, match=named):
            await asyncio.wait_for(bus.ping(), timeout=20)
        with pytest.raises(KafkaSecurityError, match=named):
            await asyncio.wait_for(bus.start(), timeout=20)
    finally:
        await bus.stop()
