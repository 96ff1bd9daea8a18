"""OpenTelemetry tracing and metrics, and JSON logs that carry the trace id.

Spans and metrics go to an OTLP/HTTP collector when ``otlp_endpoint`` is set; without it the providers
still exist (trace ids in logs and events), nothing is exported.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.ext.asyncio import AsyncEngine

from gov_common.requestid import current_request_id

_providers_installed = False


def setup_providers(service_name: str, otlp_endpoint: str = "") -> None:
    """Install the global tracer and meter providers once per process."""
    global _providers_installed
    if _providers_installed:
        return
    resource = Resource.create({"service.name": service_name, "service.namespace": "gov-platform"})
    tracer_provider = TracerProvider(resource=resource)
    readers = []
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/")
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
    HTTPXClientInstrumentor().instrument()
    _providers_installed = True


def instrument_app(app: FastAPI, engine: AsyncEngine | None = None) -> None:
    # Probes are not traced; the patterns are searched in the whole URL, so anchor them at the end. No span
    # per ASGI message either ("http send/receive"): one per chunk of a streamed body is noise.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="/healthz$,/readyz$", exclude_spans=["receive", "send"])
    if engine is not None:
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)


class _ContextFilter(logging.Filter):
    """Adds the trace id, span id, request id and service name to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else None
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else None
        record.request_id = current_request_id()
        record.service = self.service
        return True


def setup_logging(service: str, *, level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    fmt: Any
    if json_logs:
        fmt = JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{trace_id}{span_id}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    else:
        fmt = logging.Formatter("%(asctime)s %(levelname)s %(service)s %(name)s [%(trace_id)s] %(message)s")
    handler.setFormatter(fmt)
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True
