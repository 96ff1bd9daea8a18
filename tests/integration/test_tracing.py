"""One trace from the gateway to the next service, on PostgreSQL and Kafka (issue 11).

The gateway (tracing on) fronts application and workflow on real ports; catalog publishes the item both
of them learn of. Spans land in an in-memory exporter added to the process's tracer provider, and the
test follows parent links, not just equal trace ids:

- a citizen submits through the gateway: gateway server span → application's server span (→ its SQL)
  → the outbox relay's producer span for ``application.submitted`` → workflow's consumer span
  (group ``workflow.applications``) → the SQL that opens the case;
- staff accept the case through the gateway: gateway → workflow's server span → producer span for
  ``workflow.case.accepted`` → application's consumer span (``application.case-status``) → its SQL.

The services publish on fixed topics, and other runs (a whole platform, other tests) may be members of
their fixed consumer groups right now and take this run's events. So the services consume here in groups
of their own (the fixed name plus a suffix), first moved to the end of their topics."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import application.main
import application.settings
import catalog.main
import catalog.settings
import gateway.main
import gateway.settings
import workflow.main
import workflow.settings
from catalog.seed.loader import item_definition, seed_document
from gov_common.service import Subscription
from gov_common.telemetry import export_spans, setup_providers
from gov_common.testing import TestIssuer, fresh_pg_database, serve_lifespan, serve_on_port

T = TypeVar("T")
TIMEOUT = 90.0
PROVINCE, POLICE = "450000", "11450000MBPTMBPT4X"  # 广西壮族自治区公安厅 (catalog seed)
RENEWAL = "000104008000"  # 机动车驾驶证换证
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FIXED_GROUPS = {
    "application.catalog-items": "gov.catalog.items",
    "workflow.items": "gov.catalog.items",
    "workflow.applications": "gov.application.applications",
    "workflow.payments": "gov.payment.orders",
    "application.case-status": "gov.workflow.cases",
}


async def poll(probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    deadline = time.monotonic() + TIMEOUT
    while not (got := await probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
    return got


def groups_of_our_own(monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """Each service's subscriptions as it defines them, in groups named ``<group>.<suffix>``."""
    for module in (application.main, workflow.main):
        defined = module.subscriptions

        def renamed(*args: Any, defined: Callable[..., list[Subscription]] = defined) -> list[Subscription]:
            return [replace(s, group=f"{s.group}.{suffix}") for s in defined(*args)]

        monkeypatch.setattr(module, "subscriptions", renamed)


async def move_groups_to_the_end(bootstrap: str, groups: dict[str, str]) -> None:
    """Commit each group's offsets at the end of its topic, so this run's databases see only its events."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(sorted(set(groups.values())))
    finally:
        await admin.close()
    partitions = {
        d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
        for d in described
        if d["error_code"] == 0
    }
    for group, topic in groups.items():
        if not partitions.get(topic):
            continue
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(partitions[topic])
            await consumer.commit(dict(await consumer.end_offsets(partitions[topic])))
        finally:
            await consumer.stop()


@asynccontextmanager
async def spans_in_memory() -> AsyncIterator[InMemorySpanExporter]:
    setup_providers("tracing-test")  # a no-op when an earlier test installed the providers
    exporter = InMemorySpanExporter()
    export_spans(SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        exporter.shutdown()  # the processor stays registered but records nothing more


class Spans:
    """The finished spans, with their parent links."""

    def __init__(self, spans: Sequence[ReadableSpan]) -> None:
        self.spans = list(spans)
        self.by_id = {s.context.span_id: s for s in self.spans}

    def one(self, what: str, match: Callable[[ReadableSpan], bool]) -> ReadableSpan:
        found = [s for s in self.spans if match(s)]
        assert len(found) == 1, f"{what}: {len(found)} spans match"
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        return [s for s in self.spans if s.parent is not None and s.parent.span_id == parent.context.span_id]

    def descendants(self, root: ReadableSpan) -> list[ReadableSpan]:
        out, todo = [], [root]
        while todo:
            kids = self.children(todo.pop())
            out += kids
            todo += kids
        return out

    def hop(self, sender: ReadableSpan, event_type: str, group: str) -> tuple[ReadableSpan, ReadableSpan]:
        """The relay's producer span of the event ``sender`` staged, and the consumer span of ``group``
        under it."""
        produce = self.one(
            f"the producer span of {event_type}",
            lambda s: (
                s.kind == SpanKind.PRODUCER and attr(s, "cloudevents.event_type") == event_type and is_child(s, sender)
            ),
        )
        consume = self.one(
            f"the consumer span of {group}",
            lambda s: (
                s.kind == SpanKind.CONSUMER
                and attr(s, "messaging.consumer.group.name") == group
                and is_child(s, produce)
            ),
        )
        assert attr(consume, "messaging.message.id") == attr(produce, "messaging.message.id")
        return produce, consume

    def parent(self, span: ReadableSpan) -> ReadableSpan:
        assert span.parent is not None, f"{span.name} has no parent"
        assert span.parent.span_id in self.by_id, f"the parent of {span.name} was not recorded"
        return self.by_id[span.parent.span_id]


def attr(span: ReadableSpan, key: str) -> Any:
    return (span.attributes or {}).get(key)


def path_of(span: ReadableSpan) -> str:
    return str(attr(span, "url.path") or attr(span, "http.target") or "")


def is_child(child: ReadableSpan, parent: ReadableSpan) -> bool:
    return child.parent is not None and child.parent.span_id == parent.context.span_id


def sql_in(spans: list[ReadableSpan], verb: str, table: str) -> bool:
    """A database span among ``spans`` running ``verb`` on ``table``."""
    return any(
        attr(s, "db.system") or attr(s, "db.system.name")
        for s in spans
        if verb in str(attr(s, "db.statement") or attr(s, "db.query.text") or "")
        and table in str(attr(s, "db.statement") or attr(s, "db.query.text") or "")
    )


async def test_one_trace_from_the_gateway_through_kafka_to_the_next_service(
    pg_admin_dsn: str, kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    groups_of_our_own(monkeypatch, suffix)
    await move_groups_to_the_end(kafka_bootstrap, {f"{g}.{suffix}": t for g, t in FIXED_GROUPS.items()})
    issuer = TestIssuer()
    common: dict[str, Any] = {
        "environment": "test",
        "event_bus": "kafka",
        "kafka_bootstrap_servers": kafka_bootstrap,
        "outbox_poll_seconds": 0.1,
        "consumer_retry_backoff_seconds": 0.1,
        "log_json": False,
    }
    async with AsyncExitStack() as stack:
        exporter = await stack.enter_async_context(spans_in_memory())
        jwks = await stack.enter_async_context(serve_on_port(issuer.jwks_app))

        async def database() -> str:
            return await stack.enter_async_context(fresh_pg_database(pg_admin_dsn))

        apps = {
            "catalog": catalog.main.create_app(
                catalog.settings.Settings(data_dir=tmp_path / "c", database_url=await database(), **common)
            ),
            "application": application.main.create_app(
                application.settings.Settings(
                    data_dir=tmp_path / "a", database_url=await database(), certificates_url="", **common
                )
            ),
            "workflow": workflow.main.create_app(
                workflow.settings.Settings(
                    data_dir=tmp_path / "w", database_url=await database(), sla_sweep_enabled=False, **common
                )
            ),
        }
        for app in apps.values():
            issuer.install(app)
        cat = await stack.enter_async_context(serve_lifespan(apps["catalog"]))
        bases = {n: await stack.enter_async_context(serve_on_port(apps[n])) for n in ("application", "workflow")}
        gw_app = gateway.main.create_app(
            gateway.settings.GatewaySettings(
                trace_requests=True,
                upstreams=bases,
                jwks_url=f"{jwks}/jwks",
                token_issuer=issuer.issuer,
                token_audience=issuer.audience,
                log_json=False,
            )
        )
        gw = await stack.enter_async_context(serve_on_port(gw_app))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=f"{gw}/api", timeout=30))

        # The item, published in the catalog and learnt by application and workflow from its event.
        doc = seed_document()
        renewal = copy.deepcopy(item_definition(next(i for i in doc["items"] if i["basic_code"] == RENEWAL), doc))
        editor = issuer.headers("editor", kind="staff", roles=["catalog_editor"], region=PROVINCE, department=POLICE)
        publisher = issuer.headers(
            "publisher", kind="staff", roles=["catalog_publisher"], region=PROVINCE, department=POLICE
        )
        created = await cat.post("/v1/items", json={"definition": renewal}, headers=editor)
        assert created.status_code == 201, created.text
        code = created.json()["implementation_code"]
        assert (await cat.post(f"/v1/items/{code}/versions/1/submit", headers=editor)).status_code == 200
        assert (await cat.post(f"/v1/items/{code}/versions/1/publish", headers=publisher)).status_code == 200

        async def workflow_knows_item() -> bool:
            async with apps["workflow"].state.runtime.db.transaction() as session:
                found = await session.scalar(
                    sa.text("SELECT 1 FROM item_version WHERE implementation_code = :c"), {"c": code}
                )
            return bool(found)

        await poll(workflow_knows_item, "the item at workflow")
        citizen = issuer.headers("citizen-trace", kind="citizen")
        form = {
            "applicant_name": "张三",
            "id_number": "11010519491231002X",
            "phone": "13800000002",
            "driving_licence_number": "450103199001011234",
        }

        async def drafted() -> httpx.Response | None:
            resp = await client.post(
                "/application/v1/applications",
                json={"item_code": code, "applicant": {"name": "张三", "id_number": form["id_number"]}, "form": form},
                headers={**citizen, "Idempotency-Key": uuid.uuid4().hex},
            )
            return resp if resp.status_code == 201 else None  # 4xx until application knows the item

        app_id = (await poll(drafted, "the item at application")).json()["id"]
        for m in (m["name"] for m in renewal["materials"] if m["required"]):
            up = await client.post(
                f"/application/v1/applications/{app_id}/materials",
                data={"name": m},
                files={"file": ("m.pdf", PDF, "application/octet-stream")},
                headers=citizen,
            )
            assert up.status_code == 201, up.text

        # Hop 1: the submission, through the gateway, on to the workflow's consumer.
        submitted = await client.post(
            f"/application/v1/applications/{app_id}/submit",
            json={},
            headers={**citizen, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert submitted.status_code == 200, submitted.text
        tracking = submitted.json()["tracking_number"]
        acceptor = issuer.headers("acceptor", kind="staff", roles=["acceptor"], region=PROVINCE, department=POLICE)

        async def open_task() -> dict[str, Any] | None:
            resp = await client.get("/workflow/v1/tasks", params={"status": "open"}, headers=acceptor)
            assert resp.status_code == 200, resp.text
            return next((t for t in resp.json()["items"] if t["tracking_number"] == tracking), None)

        task = await poll(open_task, "the case opened from application.submitted")
        spans = Spans(exporter.get_finished_spans())

        app_server = spans.one(
            "application's server span of the submission",
            lambda s: s.kind == SpanKind.SERVER and path_of(s) == f"/v1/applications/{app_id}/submit",
        )
        gw_server = spans.parent(app_server)
        assert gw_server.kind == SpanKind.SERVER
        assert path_of(gw_server) == f"/api/application/v1/applications/{app_id}/submit"
        assert sql_in(spans.children(app_server), "INSERT", "outbox_event"), "the event is staged under the request"
        produce, consume = spans.hop(app_server, "application.submitted", f"workflow.applications.{suffix}")
        assert sql_in(spans.descendants(consume), "INSERT", "case"), "the case is opened under the consumer span"
        chain = [gw_server, app_server, produce, consume]
        assert len({s.context.trace_id for s in chain}) == 1

        # Hop 2: staff accept through the gateway; application follows workflow.case.accepted.
        claimed = await client.post(f"/workflow/v1/tasks/{task['id']}/claim", headers=acceptor)
        assert claimed.status_code == 200, claimed.text
        done = await client.post(
            f"/workflow/v1/tasks/{task['id']}/complete",
            json={"action": "accept", "opinion": "予以受理"},
            headers=acceptor,
        )
        assert done.status_code == 200, done.text

        async def accepted() -> bool:
            resp = await client.get(f"/application/v1/applications/{app_id}", headers=citizen)
            return resp.json()["status"] == "accepted"

        await poll(accepted, "application following workflow.case.accepted")
        spans = Spans(exporter.get_finished_spans())
        wf_server = spans.one(
            "workflow's server span of the acceptance",
            lambda s: s.kind == SpanKind.SERVER and path_of(s) == f"/v1/tasks/{task['id']}/complete",
        )
        assert path_of(spans.parent(wf_server)) == f"/api/workflow/v1/tasks/{task['id']}/complete"
        produce, consume = spans.hop(wf_server, "workflow.case.accepted", f"application.case-status.{suffix}")
        assert sql_in(spans.descendants(consume), "UPDATE", "application"), "the status changes under the consumer"
        assert consume.context.trace_id == wf_server.context.trace_id
