"""svc-exchange on real servers: the service with tokens from a test issuer, events published on real
Kafka by stand-ins for the other services, and a webhook receiver over real HTTP (uvicorn)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, Request, Response

from exchange.main import create_app
from exchange.settings import Settings
from gov_common.bus.kafka import KafkaBus
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts import Event

NANNING = "450100"
LIUZHOU = "450200"
NN_MARKET = "11450100MBQH0Y21QM"
POPULATION_OWNER = "11450000MB1502383N"
CONSUMER_DEPT = "11450100MB0000001X"
# What the registry grants a test system, and what its token holds (the grants and discovery).
GRANTED = ["exchange.catalog.read", "exchange.cases.write", "exchange.webhooks.manage", "exchange.shared.query"]
ALL_SCOPES = [*GRANTED, "exchange.discovery.read"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(probe: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Exchange:
    app: FastAPI
    client: httpx.AsyncClient
    issuer: TestIssuer
    settings: Settings
    bus: KafkaBus | None = None
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)

    eventually = staticmethod(eventually)
    LIUZHOU, NANNING, NN_MARKET, POPULATION_OWNER, CONSUMER_DEPT = (
        LIUZHOU,
        NANNING,
        NN_MARKET,
        POPULATION_OWNER,
        CONSUMER_DEPT,
    )

    @staticmethod
    def case_event(case_id: str, **kwargs: Any) -> dict[str, Any]:
        return case_event(case_id, **kwargs)

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def admin(self) -> dict[str, str]:
        return self.issuer.headers("admin-1", kind="staff", roles=["platform_admin"], region="450000")

    def staff(
        self, subject: str, *, department: str, roles: tuple[str, ...] = (), region: str = NANNING
    ) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=list(roles), department=department, region=region)

    def system(self, client_id: str, scopes: list[str] | None = None) -> dict[str, str]:
        granted = scopes if scopes is not None else ALL_SCOPES
        return self.issuer.headers(client_id, kind="system", scopes=granted, client_id=client_id)

    async def register(
        self,
        client_id: str,
        *,
        region: str = NANNING,
        scopes: list[str] | None = None,
        kind: str = "city_platform",
        department: str | None = NN_MARKET,
    ) -> dict[str, Any]:
        body = {
            "identifier": f"GX/city/{NN_MARKET}/{client_id}",
            "name": client_id,
            "kind": kind,
            "region": region,
            "department": department,
            "client_id": client_id,
            "scopes": GRANTED if scopes is None else scopes,
        }
        resp = await self.client.post("/v1/systems", json=body, headers=self.admin())
        assert resp.status_code == 201, resp.text
        self.systems[client_id] = resp.json()
        return dict(resp.json())

    async def publish(self, contract: type[Event], subject: str, data: dict[str, Any]) -> CloudEvent:
        """``data`` published on Kafka as ``contract``'s publisher would (on this test's topics)."""
        assert self.bus is not None, "start the service with kafka=True"
        event = CloudEvent(type=contract.type, source=contract.publisher, subject=subject, data=data)
        await self.bus.publish(self.settings.topic_prefix + contract.topic, [event])
        return event

    async def sql(self, query: str, **params: Any) -> list[Any]:
        async with self.db.transaction() as session:
            result = await session.execute(sa.text(query), params)
            return list(result.all()) if result.returns_rows else []


ServeExchange = Callable[..., AbstractAsyncContextManager[Exchange]]


@pytest.fixture
def serve_exchange(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> ServeExchange:
    @asynccontextmanager
    async def serve(*, kafka: bool = False, **overrides: Any) -> AsyncIterator[Exchange]:
        options: dict[str, Any] = {
            "data_dir": tmp_path,
            "database_url": pg_url,
            "webhook_backoff_seconds": [0.2, 0.2, 0.2],
            "webhook_poll_seconds": 0.05,
            "webhook_allow_private_addresses": True,  # the test receivers listen on loopback
            "outbox_poll_seconds": 0.1,
            "log_json": False,
        }
        if kafka:
            suffix = uuid.uuid4().hex[:10]
            options.update(
                event_bus="kafka",
                kafka_bootstrap_servers=kafka_bootstrap,
                topic_prefix=f"test.{suffix}.",  # fresh topics on the shared broker
            )
        else:
            options["event_log_path"] = tmp_path / "events.db"
        options.update(overrides)
        settings = Settings(**options)
        app = create_app(settings)
        issuer = TestIssuer()
        issuer.install(app)
        bus = KafkaBus(kafka_bootstrap, client_id="standin") if kafka else None
        if bus is not None:
            await bus.start()
        try:
            async with serve_lifespan(app) as client:
                yield Exchange(app=app, client=client, issuer=issuer, settings=settings, bus=bus)
        finally:
            if bus is not None:
                await bus.stop()

    return serve


@dataclass
class Receiver:
    """State of the test webhook receiver."""

    secret: str = ""
    fail_next: int = 0
    down: bool = False
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)  # headers and body of the accepted
    url: str = ""


# A webhook receiver written only from the README's "Webhooks" section, by hand as an integrator without a
# library would: key = base64-decoded secret after "whsec_"; HMAC-SHA256 over "<id>.<timestamp>.<raw body>";
# base64; compare in constant time with each space-separated "v1,<signature>"; refuse stale timestamps.
TOLERANCE_SECONDS = 300


def verify(secret: str, headers: Any, body: bytes) -> bool:
    msg_id, timestamp, signatures = (
        headers.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (msg_id and timestamp.isdigit() and signatures) or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    offered = [s.split(",", 1)[1] for s in signatures.split(" ") if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, o) for o in offered)


def receiver_app(state: Any) -> FastAPI:
    app = FastAPI()

    @app.post("/hooks")
    async def hooks(request: Request) -> Response:
        if state.down or state.fail_next > 0:
            state.fail_next = max(0, state.fail_next - 1)
            return Response(status_code=503)
        body = await request.body()
        if not verify(state.secret, request.headers, body):
            state.refused.append(request.headers.get("webhook-id", "?"))
            return Response(status_code=401)
        event = json.loads(body)
        event["_delivery_id"] = request.headers["webhook-id"]
        state.accepted.append(event)
        state.raw.append((dict(request.headers), body))
        return Response(status_code=204)

    return app


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """The receiver on a real loopback port (uvicorn)."""
    state = Receiver()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(receiver_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _started(server), 10, "the receiver to listen")
    state.url = f"http://127.0.0.1:{port}/hooks"
    yield state
    server.should_exit = True
    await asyncio.wait_for(task, 10)


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


def case_event(case_id: str, *, region: str = "450103", department: str = NN_MARKET, **extra: Any) -> dict[str, Any]:
    """``workflow.case.*`` data as docs/events.md agrees it (svc-workflow is being built in parallel)."""
    return {
        "case_id": case_id,
        "application_id": str(uuid.uuid4()),
        "tracking_number": f"GX{case_id[:8]}",
        "item_code": "11450100MBQH0Y21QM4000112345000",
        "item_name": "食品经营许可",
        "region": region,
        "department": department,
        "applicant": {"subject": "citizen-1", "kind": "citizen", "enterprise": None},
        "occurred_at": "2026-11-20T09:00:00+08:00",
        **extra,
    }
