"""OpenTelemetry tracing and metrics, and JSON logs that carry the trace id.

One process runs one service. Its metrics are read two ways: Prometheus scrapes ``/metrics`` (always on),
and they are pushed with the spans to an OTLP/HTTP collector when ``otlp_endpoint`` is set; without it the
tracer provider still exists (trace ids in logs and events) but no span is recorded, as none would be sent.
Sampling follows the SDK's standard variables (``OTEL_TRACES_SAMPLER``, ``OTEL_TRACES_SAMPLER_ARG``;
parent-based always-on when unset). Server spans come from FastAPI's own telemetry
(:func:`fastapi_telemetry`), SQL spans from :func:`instrument_engine`.

Per request a service pays for one pure-ASGI layer of its own, :class:`RequestObserver`: request id, access
log line and the duration histogram, with one wrapper around ``send``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import perf_counter
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import CallbackOptions, NoOpMeterProvider, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes as SpanAttributes
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gov_common.errors import problem_response
from gov_common.requestid import HEADER as REQUEST_ID_HEADER
from gov_common.requestid import _request_id, access_log, current_request_id, incoming_or_new

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

# Each route template x method x status class is one series of the request figures. Past the SDK's default
# limit of 2,000 series per instrument every new one is folded into a single overflow series, and a route
# first measured after that has no figures of its own. One service has a few hundred at most, but a scan
# sending every method to every route can add some, and a process hosting many services (the test suite)
# reached the limit; so the request instruments hold more. Memory: about 1 KB per histogram series.
REQUEST_SERIES_LIMIT = 20_000
_VIEWS = [View(instrument_name="gov.http.server.*", aggregation_cardinality_limit=REQUEST_SERIES_LIMIT)]

_db_connections = meter.create_up_down_counter(
    "db.client.connections.usage", unit="{connection}", description="pool connections by state (idle, used)"
)


class _WhileExporting(Sampler):
    """The configured sampler while spans go somewhere; otherwise only spans whose caller sampled its own
    (an incoming ``traceparent`` flagged sampled) are recorded, so that the processes further on still
    receive the caller's decision.

    Spans nobody exports cost CPU on every request and every SQL statement; dropped ones still carry trace
    and span ids, so logs and events keep their trace context."""

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate
        self.exporting = False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: SpanAttributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if not self.exporting:
            parent = trace.get_current_span(parent_context).get_span_context()
            if not (parent.is_valid and parent.trace_flags.sampled):
                return SamplingResult(Decision.DROP)
        return self.delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"WhileExporting({self.delegate.get_description()})"


_sampler: _WhileExporting | None = None


def setup_providers(service_name: str, otlp_endpoint: str = "") -> None:
    """Install the global tracer and meter providers once per process."""
    global _providers_installed, _sampler
    if _providers_installed:
        return
    resource = Resource.create({"service.name": service_name, "service.namespace": "gov-platform"})
    _sampler = _WhileExporting(TracerProvider().sampler)  # the SDK reads OTEL_TRACES_SAMPLER
    tracer_provider = TracerProvider(resource=resource, sampler=_sampler)
    trace.set_tracer_provider(tracer_provider)
    # Scope labels (otel_scope_name...) on every series would only add noise to the scrape.
    readers: list[MetricReader] = [PrometheusMetricReader(scope_info_enabled=False)]
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/")
        export_spans(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")))
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers, views=_VIEWS))
    HTTPXClientInstrumentor().instrument()
    _providers_installed = True


def export_spans(processor: SpanProcessor) -> None:
    """Send the process's spans to ``processor`` too (and so start recording them)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider) or _sampler is None:
        raise RuntimeError("setup_providers() first")
    provider.add_span_processor(processor)
    _sampler.exporting = True


def fastapi_telemetry() -> TelemetryConfig:
    """``FastAPI(telemetry=...)``: a server span per request, named after its route, and nothing else.

    Metrics are :class:`RequestObserver`'s (fewer labels, one instrument); FastAPI's spans per dependency
    and its OpenTelemetry logs would cost on every request for little. Probes and the scrape are not traced."""
    return {
        "tracing": True,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "exclude": lambda scope: scope.get("path") in UNMEASURED_PATHS,
    }


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per SQL statement of ``engine`` (recorded only while spans are exported) and the pool figures.

    Per engine: SQLAlchemyInstrumentor().instrument(engine=...) is a no-op after its first call, which left
    every later engine of a process (several services in one test) untraced."""
    EngineTracer(trace.get_tracer("gov_common.db"), engine.sync_engine, _db_connections)


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


class RequestObserver:
    """Everything a service observes of a request, in one pure-ASGI layer: the request id (the caller's
    ``X-Request-ID`` when well-formed, a new one otherwise: in a context variable for the logs, echoed on
    the response), one access log line, and the duration histogram by route template, method and status
    class (its count is the number of requests) with a counter of the 5xx.

    Route templates (``/v1/applications/{application_id}``), not paths, keep the series few; a request no
    route matched counts as ``unmatched``. Probes and ``/metrics`` are neither counted nor logged."""

    def __init__(self, app: ASGIApp, *, route_of: Callable[[Scope], str] | None = None) -> None:
        self.app = app
        # Where there is no route to read (the gateway's proxy path skips routing), a caller-given label.
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_KEY:
                raw = value.decode("latin-1")
                break
        rid = incoming_or_new(raw)
        token = _request_id.set(rid)
        started = perf_counter()
        status = 500  # an exception escaping here is answered 500 further out
        rid_header = (_REQUEST_ID_KEY, rid.encode())

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != _REQUEST_ID_KEY]
                headers.append(rid_header)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            if scope["path"] not in UNMEASURED_PATHS:
                elapsed = perf_counter() - started
                method = scope["method"] if scope["method"] in _METHODS else "_OTHER"
                if self.route_of:
                    route = self.route_of(scope)
                else:
                    route = getattr(scope.get("route"), "path", None) or "unmatched"
                _duration.record(elapsed, {"route": route, "method": method, "status_class": f"{status // 100}xx"})
                if status >= 500:
                    _errors.add(1, {"route": route, "method": method})
                if access_log.isEnabledFor(logging.INFO):
                    access_log.info(
                        "%s %s %d",
                        scope["method"],
                        scope["path"],
                        status,
                        extra={"duration_ms": round(elapsed * 1000, 2), "status": status},
                    )
            _request_id.reset(token)


_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()


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
