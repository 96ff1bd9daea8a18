"""OpenTelemetry tracing and metrics, and JSON logs that carry the trace id.

One process runs one service. Its metrics are read two ways: Prometheus scrapes ``/metrics`` (always on),
and they are pushed with the spans to an OTLP/HTTP collector when ``otlp_endpoint`` is set; without it the
tracer provider still exists (trace ids in logs and events), nothing is exported. Sampling follows the
SDK's standard variables (``OTEL_TRACES_SAMPLER``, ``OTEL_TRACES_SAMPLER_ARG``; parent-based always-on
when unset).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from time import perf_counter
from typing import Any

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import CallbackOptions, NoOpMeterProvider, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gov_common.errors import problem_response
from gov_common.requestid import current_request_id

_providers_installed = False

# Paths left out of the request figures and spans: probes and the scrape itself.
UNMEASURED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; the OTel default buckets are meant for milliseconds.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

meter = metrics.get_meter("gov_common.http")
# One histogram per request is the whole per-request cost (about 8 µs with the SDK): its count is the
# number of requests (``gov_http_server_request_duration_seconds_count``), so no separate counter.
_duration = meter.create_histogram(
    "gov.http.server.request.duration",
    unit="s",
    description="HTTP requests: how many and how long, from the request to the end of the response",
    explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
)
_errors = meter.create_counter("gov.http.server.errors", description="HTTP requests answered 5xx (or not at all)")

_db_connections = meter.create_up_down_counter(
    "db.client.connections.usage", unit="{connection}", description="pool connections by state (idle, used)"
)


def setup_providers(service_name: str, otlp_endpoint: str = "") -> None:
    """Install the global tracer and meter providers once per process."""
    global _providers_installed
    if _providers_installed:
        return
    resource = Resource.create({"service.name": service_name, "service.namespace": "gov-platform"})
    tracer_provider = TracerProvider(resource=resource)  # sampler from OTEL_TRACES_SAMPLER
    # Scope labels (otel_scope_name...) on every series would only add noise to the scrape.
    readers: list[MetricReader] = [PrometheusMetricReader(scope_info_enabled=False)]
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
    # per ASGI message either ("http send/receive"): one per chunk of a streamed body is noise. Its own
    # request metrics are off: RequestMetrics counts with fewer labels at a fraction of the cost.
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls="/healthz$,/readyz$,/metrics$",
        exclude_spans=["receive", "send"],
        meter_provider=NoOpMeterProvider(),
    )
    if engine is not None:
        # Per engine: SQLAlchemyInstrumentor().instrument(engine=...) is a no-op after its first call, which
        # left every later engine of a process (several services in one test) untraced.
        EngineTracer(trace.get_tracer("gov_common.db"), engine.sync_engine, _db_connections)


class RequestMetrics:
    """Times requests by route template, method and status class (the histogram counts them too) and
    counts the 5xx.

    Route templates (``/v1/applications/{application_id}``), not paths, keep the series few; a request no
    route matched counts as ``unmatched``. Probes and ``/metrics`` are not counted."""

    def __init__(self, app: ASGIApp, *, route_of: Callable[[Scope], str] | None = None) -> None:
        self.app = app
        # Where there is no route to read (the gateway's proxy path skips routing), a caller-given label.
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNMEASURED_PATHS:
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # an exception escaping here is answered 500 further out

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "_OTHER"
            route = self.route_of(scope) if self.route_of else getattr(scope.get("route"), "path", None) or "unmatched"
            labels = {"route": route, "method": method, "status_class": f"{status // 100}xx"}
            _duration.record(perf_counter() - started, labels)
            if status >= 500:
                _errors.add(1, {"route": route, "method": method})


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format of everything the process measures.

    Unauthenticated, for the in-cluster scraper (Prometheus) only, which the network policy must admit to
    the service's port. Requests that came through a proxy (they carry ``X-Forwarded-For`` or
    ``X-Forwarded-Proto``, which the gateway and ingress controllers always set) are answered 404, so
    ``/api/<service>/metrics`` shows nothing to the outside even if the gateway routes it. The figures
    hold no personal data, only route templates, consumer groups and topics."""
    if "x-forwarded-for" in request.headers or "x-forwarded-proto" in request.headers:
        return problem_response(status=404, slug="not-found", detail="Not found", instance=request.url.path)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


Attributes = tuple[tuple[str, str | int], ...]


class SampledGauge:
    """A gauge whose values are measured elsewhere, every few seconds, because reading them costs a round
    trip (consumer lag, outbox backlog); a scrape reports the last sample. Each source (a running service)
    replaces its own values and forgets them when it stops."""

    def __init__(self, name: str, *, description: str, unit: str = "") -> None:
        self._by_source: dict[int, dict[Attributes, float]] = {}
        meter.create_observable_gauge(name, callbacks=[self._observe], description=description, unit=unit)

    def set(self, source: object, values: Mapping[Attributes, float]) -> None:
        self._by_source[id(source)] = dict(values)

    def forget(self, source: object) -> None:
        self._by_source.pop(id(source), None)

    def values(self, source: object) -> dict[Attributes, float]:
        return dict(self._by_source.get(id(source), {}))

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(value, dict(attributes))
            for values in list(self._by_source.values())
            for attributes, value in values.items()
        ]


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
