"""CloudEvents 1.0 envelope and its binary content mode for Kafka-style records.

An event travels as a record whose value is the JSON ``data`` and whose headers carry the context
attributes as ``ce_<name>`` plus the W3C ``traceparent``. The key is the ``subject`` (the aggregate id),
so that the events of one aggregate keep their order. ``dataschema`` names the contract and its version
(``urn:gov-platform:event:<type>:v<version>``, set by gov_contracts.publish): a consumer reads the version
from it, and an event without one is version 1.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate

SPEC_VERSION = "1.0"
JSON = "application/json"

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class CloudEvent:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = JSON
    traceparent: str | None = None
    tracestate: str | None = None
    dataschema: str | None = None

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    def to_record(self) -> tuple[bytes, bytes, Headers]:
        """(key, value, headers) in CloudEvents' Kafka binary content mode."""
        headers: Headers = [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("content-type", self.datacontenttype.encode()),
        ]
        if self.dataschema:
            headers.append(("ce_dataschema", self.dataschema.encode()))
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        if self.tracestate:
            headers.append(("tracestate", self.tracestate.encode()))
        value = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False, default=str).encode()
        return self.key, value, headers

    @classmethod
    def from_record(cls, value: bytes | None, headers: Headers | tuple[tuple[str, bytes], ...]) -> CloudEvent:
        """Read an event in binary content mode; raises ``ValueError`` when it is not a CloudEvent."""
        h = {k: v.decode() for k, v in headers}
        if h.get("ce_specversion") != SPEC_VERSION:
            raise ValueError("record is not a CloudEvents 1.0 event in binary mode")
        missing = [a for a in ("ce_id", "ce_source", "ce_type") if a not in h]
        if missing:
            raise ValueError(f"event lacks required attributes {missing}")
        data = json.loads(value) if value else {}
        if not isinstance(data, dict):
            raise ValueError("event data must be a JSON object")
        return cls(
            id=h["ce_id"],
            source=h["ce_source"],
            type=h["ce_type"],
            subject=h.get("ce_subject", ""),
            time=datetime.fromisoformat(h["ce_time"]) if "ce_time" in h else datetime.now(UTC),
            datacontenttype=h.get("content-type", JSON),
            data=data,
            traceparent=h.get("traceparent"),
            tracestate=h.get("tracestate"),
            dataschema=h.get("ce_dataschema"),
        )

    def trace_carrier(self) -> dict[str, str]:
        carrier = {}
        if self.traceparent:
            carrier["traceparent"] = self.traceparent
        if self.tracestate:
            carrier["tracestate"] = self.tracestate
        return carrier


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, to stamp on an event being created."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def new_event(
    *, type: str, source: str, subject: str, data: dict[str, Any], dataschema: str | None = None
) -> CloudEvent:
    """A new event carrying the current trace context."""
    carrier = current_trace_headers()
    return CloudEvent(
        type=type,
        source=source,
        subject=subject,
        data=data,
        traceparent=carrier.get("traceparent"),
        tracestate=carrier.get("tracestate"),
        dataschema=dataschema,
    )
