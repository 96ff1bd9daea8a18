"""OTLP export is configured by ``otlp_endpoint`` alone: with it, a service's spans and metrics reach the
collector (a real HTTP server here, the requests parsed as OTLP protobuf); without it nothing is sent, even
with the SDK's own ``OTEL_EXPORTER_OTLP_ENDPOINT`` set; ``OTEL_TRACES_SAMPLER`` is honoured.

The providers are installed once per process, so each case runs a service in a process of its own; it
exports what is left when it exits."""

from __future__ import annotations

import asyncio
import gzip
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gov_common.db import Database
from gov_common.testing import serve_on_port

SERVICE = """
import asyncio, sys
from pathlib import Path
import sqlalchemy as sa
from gov_common.service import ServiceSpec, create_service_app
from gov_common.settings import ServiceSettings
from gov_common.testing import serve_lifespan

async def main(database_url, bootstrap, endpoint, folder):
    spec = ServiceSpec(name="otlp-probe", title="t", description="", settings_cls=ServiceSettings,
                       migrations_dir=Path(folder))
    settings = ServiceSettings(service_name="otlp-probe", database_url=database_url, event_bus="kafka",
                               kafka_bootstrap_servers=bootstrap, otlp_endpoint=endpoint, data_dir=Path(folder),
                               migrate_on_start=False, log_json=False)
    app = create_service_app(spec, settings)

    @app.get("/v1/answer")
    async def answer() -> dict[str, int]:
        async with app.state.runtime.db.transaction() as session:
            return {"answer": await session.scalar(sa.text("SELECT 42"))}

    async with serve_lifespan(app) as client:
        assert (await client.get("/v1/answer")).json() == {"answer": 42}

asyncio.run(main(*sys.argv[1:]))
"""


@dataclass
class Collector:
    """What an OTLP/HTTP collector received."""

    spans: list[tuple[str, Span]] = field(default_factory=list)  # (service.name, span)
    metrics: list[tuple[str, str]] = field(default_factory=list)  # (service.name, metric name)


@asynccontextmanager
async def collector() -> AsyncIterator[tuple[str, Collector]]:
    got = Collector()
    app = FastAPI()

    async def body(request: Request) -> bytes:
        assert request.headers["content-type"] == "application/x-protobuf"
        raw = await request.body()
        return gzip.decompress(raw) if request.headers.get("content-encoding") == "gzip" else raw

    def service_of(resource: object) -> str:
        return next(a.value.string_value for a in resource.attributes if a.key == "service.name")  # type: ignore[attr-defined]

    @app.post("/otlp/v1/traces")
    async def traces(request: Request) -> Response:
        export = ExportTraceServiceRequest.FromString(await body(request))
        for rs in export.resource_spans:
            got.spans += [(service_of(rs.resource), s) for ss in rs.scope_spans for s in ss.spans]
        return Response(b"", media_type="application/x-protobuf")

    @app.post("/otlp/v1/metrics")
    async def metrics(request: Request) -> Response:
        export = ExportMetricsServiceRequest.FromString(await body(request))
        for rm in export.resource_metrics:
            got.metrics += [(service_of(rm.resource), m.name) for sm in rm.scope_metrics for m in sm.metrics]
        return Response(b"", media_type="application/x-protobuf")

    async with serve_on_port(app) as base:
        yield f"{base}/otlp", got


async def run_service(database_url: str, bootstrap: str, endpoint: str, folder: Path, **env: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVICE,
        database_url,
        bootstrap,
        endpoint,
        str(folder),
        env={**os.environ, **env},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=180)
    except TimeoutError:
        proc.kill()
        _, err = await proc.communicate()
        raise AssertionError("the service did not finish: " + err.decode(errors="replace")[-3000:]) from None
    assert proc.returncode == 0, err.decode(errors="replace")[-3000:]


async def test_spans_and_metrics_reach_the_collector(
    pg_url: str, pg_db: Database, kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with collector() as (endpoint, got):
        await run_service(pg_url, kafka_bootstrap, endpoint, tmp_path)
    spans = [s for service, s in got.spans if service == "otlp-probe"]
    server = next(s for s in spans if s.kind == Span.SPAN_KIND_SERVER and s.name == "GET /v1/answer")
    assert any(s.parent_span_id == server.span_id and "SELECT 42" in s.name + str(s.attributes) for s in spans)
    names = {name for service, name in got.metrics if service == "otlp-probe"}
    assert {"gov.http.server.request.duration", "db.client.connections.usage"} <= names


async def test_nothing_is_sent_without_an_endpoint(
    pg_url: str, pg_db: Database, kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with collector() as (endpoint, got):
        # Only the service's own setting turns export on; the SDK's variable alone does not.
        await run_service(pg_url, kafka_bootstrap, "", tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    assert got.spans == [] and got.metrics == []


async def test_the_sampler_follows_otel_traces_sampler(
    pg_url: str, pg_db: Database, kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with collector() as (endpoint, got):
        await run_service(pg_url, kafka_bootstrap, endpoint, tmp_path, OTEL_TRACES_SAMPLER="always_off")
    assert got.spans == []
    assert ("otlp-probe", "gov.http.server.request.duration") in got.metrics  # metrics are not sampled
