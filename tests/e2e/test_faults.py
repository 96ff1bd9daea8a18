"""Journey 1 with faults on the production shape (PostgreSQL + Kafka), through the gateway: the Kafka
broker is stopped and started again, service processes are killed (SIGKILL) while events wait for them
and started again, and PostgreSQL refuses connections for a while (a proxy between the services and the
server is cut). Nothing the platform accepted is lost, nothing is done twice, and the journey completes."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import citizen_journey as journey
import httpx
import pytest
from harness import ROOT, Platform, postgres_platform
from prometheus_client.parser import text_string_to_metric_families

from gov_common.testing import TcpProxy

PG_OUTAGE_SECONDS = 15.0


class ThreadedProxy:
    """A :class:`TcpProxy` on its own event loop in a background thread, cut and restored from the test."""

    def __init__(self, host: str, port: int) -> None:
        self.proxy = TcpProxy(host, port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pg-proxy", daemon=True)
        self.thread.start()

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.proxy.port}"

    def start(self) -> None:
        self._run(self.proxy.start())

    def cut(self) -> None:
        self._run(self.proxy.cut())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@contextmanager
def proxy_to(dsn: str) -> Iterator[ThreadedProxy]:
    server = urlsplit(dsn)
    proxy = ThreadedProxy(server.hostname or "127.0.0.1", server.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def pg_proxy(pg_admin_dsn: str) -> Iterator[ThreadedProxy]:
    """Between every service and PostgreSQL."""
    with proxy_to(pg_admin_dsn) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def payment_proxy(pg_admin_dsn: str) -> Iterator[ThreadedProxy]:
    """Between the payment service alone and PostgreSQL, to cut while an event is on its way to it."""
    with proxy_to(pg_admin_dsn) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def faulty_platform(
    pg_admin_dsn: str,
    kafka_bootstrap: str,
    pg_proxy: ThreadedProxy,
    payment_proxy: ThreadedProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    """The platform with every service reaching PostgreSQL through ``pg_proxy``, the payment service
    through ``payment_proxy`` (a graceful restart moves it there)."""
    with postgres_platform(
        tmp_path_factory.mktemp("faults"), pg_admin_dsn, kafka_bootstrap, pg_address=pg_proxy.address
    ) as running:
        url = running.database_url("payment").replace(pg_proxy.address, payment_proxy.address)
        running.restart("payment", PAYMENT_DATABASE_URL=url)
        yield running


def counter(platform: Platform, service: str, name: str, labels: dict[str, str]) -> float:
    """The sum of a Prometheus counter's series with ``labels`` on ``service``'s /metrics."""
    text = httpx.get(f"{platform.url(service)}/metrics", timeout=30).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


def infra(command: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "infra.sh"), command], check=True, timeout=180)


@contextmanager
def kafka_stopped() -> Iterator[None]:
    """The shared broker stopped for the block; started again whatever happens."""
    infra("kafka-stop")
    try:
        yield
    finally:
        infra("kafka-start")


@contextmanager
def postgres_refusing(proxy: ThreadedProxy, seconds: float) -> Iterator[None]:
    """PostgreSQL unreachable for the services (the proxy cut) during the block and at least ``seconds``."""
    started = time.monotonic()
    proxy.cut()
    try:
        yield
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    finally:
        proxy.start()


def test_journey_survives_broker_restart_killed_services_and_a_database_outage(
    faulty_platform: Platform, pg_proxy: ThreadedProxy, payment_proxy: ThreadedProxy
) -> None:
    platform = faulty_platform
    setup = journey.prepare(platform)
    citizen = journey.register(platform)
    try:
        journey.sign_in_citizen(citizen)
        license_id = journey.hold_business_license(setup, citizen)
        journey.find_item(setup, citizen)

        # The workflow is killed; the application submitted meanwhile waits for it in Kafka.
        platform.kill("workflow")
        journey.apply(setup, citizen, license_id)
        platform.start("workflow")
        journey.request_supplement(setup, citizen)

        # The broker stops: the supplement is accepted (the outbox keeps its event) and reaches the
        # workflow once the broker is back.
        with kafka_stopped():
            journey.supplement(setup, citizen)
            supplemented = journey.application(citizen)
            assert supplemented and supplemented["status"] == "supplemented"

        # The application service is killed while the case events of acceptance are on their way to it.
        tracking = citizen.ids["tracking_number"]
        accepted = journey.act(setup, "acceptor", tracking, "accept", {"action": "accept", "opinion": "予以受理"})
        assert accepted["status"] == "reviewing"
        platform.kill("application")
        reviewed = journey.act(setup, "reviewer", tracking, "review", {"action": "complete", "opinion": "审查通过"})
        assert reviewed["status"] == "deciding"
        platform.start("application")
        journey.application_in(citizen, "accepted")

        # PostgreSQL refuses the payment service's connections when the approval's fee request reaches it:
        # the event waits, the order is created once the database is back.
        decided = journey.act(setup, "approver", tracking, "decide", {"action": "approve", "opinion": "准予许可"})
        assert decided["status"] == "paying"
        with postgres_refusing(payment_proxy, PG_OUTAGE_SECONDS):
            down = httpx.get(f"{platform.gateway}/api/payment/readyz", timeout=30)
            assert down.status_code == 503, down.text
        journey.pay(setup, citizen)
        # The fee request did arrive during the outage and was retried, not dead-lettered.
        fee_requests = {"group": "payment.fee-requests"}
        assert counter(platform, "payment", "gov_events_handler_failures_total", fee_requests) > 0
        assert counter(platform, "payment", "gov_events_dead_lettered_total", fee_requests) == 0

        # Then PostgreSQL refuses every service for a while: the platform answers 503 and recovers.
        with postgres_refusing(pg_proxy, PG_OUTAGE_SECONDS):
            for service in ("application", "workflow", "certificates"):
                down = httpx.get(f"{platform.gateway}/api/{service}/readyz", timeout=30)
                assert down.status_code == 503, (service, down.text)

        # The payment service restarts gracefully (SIGTERM) while payment.order.paid travels on.
        platform.restart("payment")
        journey.deliver(setup, citizen)
        lic = journey.receive_license(citizen)
        journey.verify_publicly(citizen, lic)
        journey.download_pdf(citizen)
        journey.rate(citizen)
        journey.check_read_back(setup, citizen)
    finally:
        citizen.browser.close()
        setup.staff.close()
