"""svc-payment on real servers: the service on a loopback port (so that the sandbox channel reaches it
over HTTP, as a provider would), tokens from a test issuer, helpers to create and pay orders."""

from __future__ import annotations

import asyncio
import html
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from gov_common.db import Database
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, free_port, serve_on_port
from payment.deps import PaymentContext
from payment.main import create_app
from payment.sandbox.provider import SandboxChannel
from payment.settings import Settings

DEPT, REGION = "gx-nn-market", "450100"
WORKFLOW = {"subject": "svc-workflow", "kind": "system", "scopes": ["payment.orders.write", "payment.orders.read"]}


@dataclass
class Running:
    app: FastAPI
    client: httpx.AsyncClient
    base_url: str
    issuer: TestIssuer

    @property
    def sandbox(self) -> SandboxChannel:
        sandbox: SandboxChannel = self.app.state.sandbox
        return sandbox

    @property
    def context(self) -> PaymentContext:
        context: PaymentContext = self.app.state.payment
        return context

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    fee_request = staticmethod(lambda **kw: fee_request(**kw))
    eventually = staticmethod(lambda probe, timeout=15.0, what="condition": eventually(probe, timeout, what))

    def h(self, subject: str = "citizen-1", **kwargs: Any) -> dict[str, str]:
        return self.issuer.headers(subject, **kwargs)

    def workflow(self) -> dict[str, str]:
        return self.issuer.headers(WORKFLOW["subject"], kind="system", scopes=WORKFLOW["scopes"])

    def finance(self, subject: str = "finance-1", *, department: str = DEPT, region: str = REGION) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=["finance"], department=department, region=region)

    async def create_order(
        self, *, applicant: str = "citizen-1", amounts: tuple[int, ...] = (1500, 500), **over: Any
    ) -> dict[str, Any]:
        body = fee_request(applicant=applicant, amounts=amounts, **over)
        resp = await self.client.post(
            "/v1/orders", json=body, headers={**self.workflow(), "Idempotency-Key": uuid.uuid4().hex}
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def start_payment(self, order_id: str, applicant: str = "citizen-1") -> str:
        resp = await self.client.post(
            f"/v1/orders/{order_id}/payments", json={"channel": "sandbox"}, headers=self.h(applicant)
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == "pending"
        return str(resp.json()["pay_url"])

    async def pay_at_channel(self, pay_url: str, action: str = "pay") -> httpx.Response:
        """What the applicant's browser does on the pay page: post the form to its action, resolved
        against the page's address (the page may be reached under the gateway's prefix)."""
        async with httpx.AsyncClient() as browser:
            page = await browser.get(pay_url)
            assert page.status_code == 200 and "<form" in page.text
            form = re.search(r'<form method="post" action="([^"]+)"', page.text)
            assert form is not None, page.text
            return await browser.post(urljoin(pay_url, html.unescape(form[1])), data={"action": action})

    async def order(self, order_id: str, applicant: str = "citizen-1") -> dict[str, Any]:
        resp = await self.client.get(f"/v1/orders/{order_id}", headers=self.h(applicant))
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def outbox(self, type_: str | None = None) -> list[Any]:
        async with self.db.transaction() as session:
            query = sa.select(outbox_event).order_by(outbox_event.c.seq)
            if type_:
                query = query.where(outbox_event.c.type == type_)
            return list((await session.execute(query)).all())

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.db.transaction() as session:
            result = await session.execute(sa.text(statement), params)
            return list(result.all()) if result.returns_rows else []


def fee_request(
    *,
    applicant: str = "citizen-1",
    amounts: tuple[int, ...] = (1500, 500),
    department: str = DEPT,
    region: str = REGION,
    **over: Any,
) -> dict[str, Any]:
    case = uuid.uuid4().hex[:12]
    body: dict[str, Any] = {
        "case_id": f"case-{case}",
        "application_id": f"app-{case}",
        "tracking_number": f"GX{case}",
        "item_code": "450100-ITEM-01",
        "applicant": {"subject": applicant, "kind": "citizen"},
        "department": department,
        "region": region,
        "lines": [
            {"code": f"F{i:02d}", "name": f"费用{i}", "amount_fen": amount, "legal_basis": "《收费标准》"}
            for i, amount in enumerate(amounts, 1)
        ],
    }
    body.update(over)
    return body


async def eventually(probe: Callable[[], Awaitable[bool]], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def settings_for(tmp_path: Path, port: int, **over: Any) -> Settings:
    base = f"http://127.0.0.1:{port}"
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "environment": "test",
        "sandbox_enabled": True,
        "notify_base_url": base,
        "return_url": f"{base}/done",
        "sandbox_base_url": f"{base}/sandbox-channel",
        "public_base_url": base,
        "sandbox_notify_backoff_seconds": 0.05,
        "worker_enabled": False,
        "outbox_poll_seconds": 0.1,
        "log_json": False,
    }
    values.update(over)
    return Settings(**values)


@asynccontextmanager
async def run_payment(tmp_path: Path, **over: Any) -> AsyncIterator[Running]:
    port = free_port()
    app = create_app(settings_for(tmp_path, port, **over))
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_on_port(app, port) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield Running(app=app, client=client, base_url=base, issuer=issuer)


RunPayment = Callable[..., AbstractAsyncContextManager[Running]]


@pytest.fixture
def serve_payment(tmp_path: Path) -> RunPayment:
    """``async with serve_payment(**settings) as svc``: svc-payment on a loopback port (SQLite by default)."""

    def factory(**over: Any) -> AbstractAsyncContextManager[Running]:
        return run_payment(tmp_path, **over)

    return factory


@pytest.fixture
async def pg_payment(pg_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """svc-payment on PostgreSQL (embedded event log)."""
    async with run_payment(tmp_path, database_url=pg_url) as running:
        yield running
