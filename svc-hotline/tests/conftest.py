"""Fixtures of svc-hotline's tests: the service on a real database with demo reference data (categories,
Nanning dispatch rules, knowledge entries), a clock the test moves, and headers for each kind of caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from gov_common.db import Database
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from hotline.main import create_app
from hotline.settings import Settings

NANNING = "450100"
XINGNING = "450102"  # 兴宁区, inside Nanning


@dataclass
class MovableClock:
    """The service's clock: ``at("2026-12-07", 10)`` sets it to that China time."""

    now: datetime = field(default_factory=lambda: datetime(2026, 12, 7, 2, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: str, hour: int = 10) -> datetime:
        self.now = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)
        return self.now


@dataclass
class Hotline:
    client: httpx.AsyncClient
    app: FastAPI
    issuer: TestIssuer
    clock: MovableClock

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def operator(self, region: str = NANNING, subject: str = "operator-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=["hotline_operator"], department="12345", region=region)

    def staff(self, department: str, region: str = NANNING, subject: str = "handler-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=["acceptor"], department=department, region=region)

    def supervisor(self, region: str = NANNING, subject: str = "supervisor-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=["supervisor"], department="supervision", region=region)

    def citizen(self, subject: str = "citizen-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    def system(self, *scopes: str, subject: str = "liuzhou-12345", region: str | None = None) -> dict[str, str]:
        extra: dict[str, Any] = {"region": region} if region else {}
        return self.issuer.headers(subject, kind="system", scopes=list(scopes), **extra)

    async def call(self, **over: Any) -> dict[str, Any]:
        """An operator records a noise complaint in Xingning (201 asserted)."""
        body = {
            "kind": "complaint",
            "category": "noise",
            "region": XINGNING,
            "title": "楼下烧烤店深夜噪音扰民",
            "content": "民主路一家烧烤店每天营业到凌晨两点，音响声音很大，严重影响休息。",
            "caller_phone": "13812345678",
            "caller_name": "李明",
            "recording_ref": "rec-20261207-0001",
        } | over
        resp = await self.client.post("/v1/orders", json=body, headers=self.operator())
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.db.transaction() as session:
            result = await session.execute(sa.text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def outbox(self, type_: str | None = None) -> list[Any]:
        async with self.db.transaction() as session:
            query = sa.select(outbox_event).order_by(outbox_event.c.seq)
            if type_:
                query = query.where(outbox_event.c.type == type_)
            return list((await session.execute(query)).all())


def settings_for(tmp_path: Path, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "environment": "test",
        "worker_enabled": False,
        "demo_data": True,
        "outbox_poll_seconds": 0.1,
        "log_json": False,
    } | over
    return Settings(**values)


@pytest.fixture
async def hotline(pg_url: str, tmp_path: Path) -> AsyncIterator[Hotline]:
    """svc-hotline on PostgreSQL (embedded event log), its clock at Monday 2026-12-07 10:00 China time."""
    clock = MovableClock()
    app = create_app(settings_for(tmp_path, database_url=pg_url), clock=clock)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_lifespan(app) as client:
        yield Hotline(client=client, app=app, issuer=issuer, clock=clock)
