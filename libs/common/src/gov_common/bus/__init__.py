"""Event bus: one interface, two backends (Apache Kafka, embedded SQLite log)."""

from __future__ import annotations

from gov_common.bus.base import (
    DLQ_SUFFIX,
    BatchHandler,
    Consumer,
    Delivery,
    EventBus,
    Handler,
    MalformedEvent,
    NotYetKnown,
    Record,
    RetryPolicy,
)
from gov_common.settings import ServiceSettings


def create_bus(settings: ServiceSettings) -> EventBus:
    """The backend the settings name: ``kafka`` (with its security settings) or the embedded log (the
    default)."""
    if settings.event_bus == "kafka":
        from gov_common.bus.kafka import KafkaBus, KafkaSecurity

        security = KafkaSecurity(
            protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password,
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
        return KafkaBus(settings.kafka_bootstrap_servers, client_id=settings.service_name, security=security)
    from gov_common.bus.embedded import EmbeddedBus

    return EmbeddedBus(settings.effective_event_log_path)


__all__ = [
    "DLQ_SUFFIX",
    "BatchHandler",
    "Consumer",
    "Delivery",
    "EventBus",
    "Handler",
    "MalformedEvent",
    "NotYetKnown",
    "Record",
    "RetryPolicy",
    "create_bus",
]
