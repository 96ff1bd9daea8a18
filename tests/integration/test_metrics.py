"""``/metrics`` of a real service (application on PostgreSQL and Kafka, on topics of its own): requests
and a failing request move the request figures; consumer lag rises while a consumer is stopped and falls
to 0 once it has caught up; events handled, failed and dead-lettered are counted; the outbox backlog
shows unpublished rows; and the gateway does not hand ``/metrics`` to the outside."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

import application.main
import application.settings
import gateway.main
import gateway.settings
from gov_common.bus.kafka import KafkaBus
from gov_common.events import CloudEvent
from gov_common.outbox import _add_event
from gov_common.testing import TestIssuer, serve_on_port

TIMEOUT = 90.0
Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Series:
    resp = await client.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


async def until(client: httpx.AsyncClient, what: str, check: Callable[[Series], bool]) -> Series:
    deadline = time.monotonic() + TIMEOUT
    while not check(series := await scrape(client)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the request series: {_requests_seen(series)}")
        await asyncio.sleep(0.5)
    return series


def _requests_seen(series: Series) -> str:
    """What the scrape holds of the request figures (for a failure's message): how many series, whether the
    SDK's cardinality limit folded new ones into its overflow series, and those of the listing."""
    counts = {
        labels: v for (name, labels), v in series.items() if name == "gov_http_server_request_duration_seconds_count"
    }
    overflow = [v for labels, v in counts.items() if ("otel_metric_overflow", "true") in labels]
    listing = {str(sorted(labels)): v for labels, v in counts.items() if ("route", "/v1/applications") in labels}
    return f"{len(counts)} series, overflow {overflow}, listing {listing}"


def event(type_: str, data: dict[str, object]) -> CloudEvent:
    return CloudEvent(type=type_, source="/test", subject=str(uuid.uuid4()), data=data)


async def test_metrics_of_a_running_service(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"test.metrics.{uuid.uuid4().hex[:10]}."  # this test's own copy of every contract topic
    items, cases, ours = prefix + "gov.catalog.items", prefix + "gov.workflow.cases", prefix + "ours"  # as relayed
    bus = KafkaBus(kafka_bootstrap, client_id="metrics-test")
    # The topics exist before the consumers subscribe (one event each, handled at start).
    await bus.publish(cases, [event("workflow.sla.warning", {})])
    await bus.publish(items, [event("catalog.item.withdrawn.unknown", {})])
    settings = application.settings.Settings(
        data_dir=tmp_path,
        database_url=pg_url,
        environment="test",
        event_bus="kafka",
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=prefix,
        certificates_url="",
        consumer_max_attempts=2,
        consumer_retry_backoff_seconds=0.05,
        outbox_poll_seconds=0.1,
        log_json=False,
    )
    app = application.main.create_app(settings)
    issuer = TestIssuer()
    issuer.install(app)

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/boom", boom, methods=["GET"])
    runtime = app.state.runtime
    citizen = issuer.headers("citizen-metrics", kind="citizen")

    async with serve_on_port(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        # Requests: by route template, method and status class; the 5xx counted as errors; probes not.
        before = await scrape(client)
        for _ in range(3):
            assert (await client.get("/v1/applications", headers=citizen)).status_code == 200
        assert (await client.get("/v1/applications")).status_code == 401
        assert (await client.get(f"/v1/applications/{uuid.uuid4()}", headers=citizen)).status_code == 404
        assert (await client.get("/v1/boom")).status_code == 500
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(probe)).status_code == 200
        requests = "gov_http_server_request_duration_seconds_count"
        listing = {"route": "/v1/applications", "method": "GET"}
        # A request is recorded as its response ends, which on a loaded machine may come just after the client
        # has read it: wait until the three listings are in, then compare everything with that scrape.
        after = await until(
            client,
            "the three listings counted",
            lambda s: (
                value(s, requests, **listing, status_class="2xx")
                - value(before, requests, **listing, status_class="2xx")
                >= 3
            ),
        )

        def moved(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert moved(requests, **listing, status_class="2xx") == 3
        assert moved(requests, **listing, status_class="4xx") == 1
        assert moved(requests, route="/v1/applications/{application_id}", method="GET", status_class="4xx") == 1
        assert moved(requests, route="/v1/boom", method="GET", status_class="5xx") == 1
        assert moved("gov_http_server_errors_total", route="/v1/boom", method="GET") == 1
        assert moved("gov_http_server_errors_total", **listing) == 0
        assert moved("gov_http_server_request_duration_seconds_bucket", **listing, status_class="2xx", le="+Inf") == 3
        routes = {dict(labels).get("route") for (name, labels) in after if name.startswith("gov_http_server")}
        assert not routes & {"/healthz", "/readyz", "/metrics"}

        # Consumer lag: 0 once the group has read its topic; up while its consumer is stopped; 0 again.
        group = "application.case-status"

        def lag(series: Series) -> float | None:
            """The group's lag on its topic, summed over partitions; None before the first sample."""
            want = {("group", group), ("topic", cases)}
            found = [v for (n, labels), v in series.items() if n == "gov_events_consumer_lag" and want <= labels]
            return sum(found) if found else None

        await until(client, "the lag of a caught-up group", lambda s: lag(s) == 0)
        consumer = next(c for c in runtime.consumers if c.group == group)
        handled = value(await scrape(client), "gov_events_consumed_total", topic=cases, group=group)
        await consumer.stop()
        await bus.publish(cases, [event("workflow.sla.warning", {"n": n}) for n in range(5)])
        await until(client, "a lag of 5", lambda s: lag(s) == 5)
        await consumer.start()
        caught_up = await until(client, "the lag back to 0", lambda s: lag(s) == 0)
        assert value(caught_up, "gov_events_consumed_total", topic=cases, group=group) - handled == 5

        # A malformed event: dead-lettered at the first attempt (retrying cannot fix it), each counted.
        await bus.publish(items, [event("catalog.item.published", {"not": "an item"})])
        dead = {"topic": items, "group": "application.catalog-items"}
        failed = await until(
            client, "the dead letter", lambda s: value(s, "gov_events_dead_lettered_total", **dead) == 1
        )
        assert value(failed, "gov_events_handler_failures_total", **dead) == 1

        # Outbox backlog: rows staged while the relay is stopped; published (and counted) once it runs.
        await runtime.relay.stop()
        async with runtime.db.transaction() as session:
            for n in range(3):
                await _add_event(session, topic="ours", type="test.staged", source="/test", subject=f"s{n}", data={})
        backlog = {"service": "application"}
        await until(client, "a backlog of 3", lambda s: value(s, "gov_outbox_backlog", **backlog) == 3)
        await runtime.relay.start()
        drained = await until(client, "the backlog drained", lambda s: value(s, "gov_outbox_backlog", **backlog) == 0)
        assert value(drained, "gov_outbox_published_total", topic=ours) == 3
        assert value(drained, "gov_outbox_published_events_total", type="test.staged") == 3  # by type: alerts

        # Through the gateway /api/application/metrics shows nothing (the service refuses forwarded scrapes).
        async with serve_on_port(issuer.jwks_app) as jwks:
            gw_app = gateway.main.create_app(
                gateway.settings.GatewaySettings(
                    upstreams={"application": base},
                    jwks_url=f"{jwks}/jwks",
                    token_issuer=issuer.issuer,
                    token_audience=issuer.audience,
                    log_json=False,
                )
            )
            async with serve_on_port(gw_app) as gw, httpx.AsyncClient(base_url=gw, timeout=30) as outside:
                assert (await outside.get("/api/application/v1/applications", headers=citizen)).status_code == 200
                leaked = await outside.get("/api/application/metrics", headers=citizen)
                assert leaked.status_code == 404, leaked.text
                assert "gov_http_server" not in leaked.text
    await bus.stop()
