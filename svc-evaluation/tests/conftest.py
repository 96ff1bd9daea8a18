"""Fixtures of svc-evaluation's tests: the service on a real database with a movable clock, a token issuer,
headers for every kind of caller, and completed cases delivered the way the workflow delivers them (a
``workflow.case.completed`` event on the service's bus)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from evaluation.main import create_app
from evaluation.settings import Settings
from gov_common.db import Database
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts.hotline import ConsultationAnswered
from gov_contracts.testing import envelope
from gov_contracts.workflow import CaseCompleted

DEPT_A, DEPT_B = "11450100MBQH0Y21QM", "11450200MB0000000X"
REGION_A, REGION_B = "450102", "450202"


class Clock:
    """The service's clock in tests: set ``now`` to move time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def china(self, day: str, hour: int = 10) -> datetime:
        """Set the clock to ``hour`` o'clock on a China calendar day (UTC+8) and return it."""
        self.now = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)
        return self.now


def case_completed(
    *,
    applicant: str = "citizen-1",
    kind: str = "citizen",
    enterprise: str | None = None,
    department: str = DEPT_A,
    region: str = REGION_A,
    item_code: str = "ITEM-1",
    handled_by: tuple[str, ...] = ("staff-acceptor-1", "staff-approver-1"),
    case_id: str | None = None,
) -> dict[str, Any]:
    case_id = case_id or f"case-{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC).isoformat()
    data = {
        "case_id": case_id,
        "application_id": f"app-{case_id}",
        "tracking_number": f"GX{case_id[-8:]}",
        "item_code": item_code,
        "item_name": "食品经营许可",
        "region": region,
        "department": department,
        "applicant": {"subject": applicant, "kind": kind, "enterprise": enterprise},
        "occurred_at": now,
        "completed_at": now,
        "result": "approved",
        "handled_by": list(handled_by),
    }
    CaseCompleted.model_validate(data)  # the fixture follows the contract
    return data


async def eventually(probe: Callable[[], Awaitable[bool]], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    issuer: TestIssuer
    clock: Clock

    DEPT_A: ClassVar[str] = DEPT_A
    DEPT_B: ClassVar[str] = DEPT_B
    REGION_A: ClassVar[str] = REGION_A
    REGION_B: ClassVar[str] = REGION_B
    case_completed = staticmethod(case_completed)
    eventually = staticmethod(eventually)

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def citizen(self, subject: str = "citizen-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    def enterprise(self, subject: str, enterprise: str) -> dict[str, str]:
        return self.issuer.headers(subject, kind="enterprise", enterprise=enterprise)

    def staff(
        self,
        subject: str = "staff-reviewer-1",
        *,
        roles: tuple[str, ...] = ("reviewer",),
        department: str = DEPT_A,
        region: str = "450100",
    ) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=list(roles), department=department, region=region)

    def supervisor(self, region: str = "450100", subject: str = "supervisor-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=["supervisor"], department="supervision", region=region)

    def system(self, *scopes: str, subject: str = "hall-device-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="system", scopes=list(scopes))

    async def complete_case(self, topic: str = CaseCompleted.topic, **kwargs: Any) -> dict[str, Any]:
        """Publish ``workflow.case.completed`` on the service's own bus and wait until the case is ratable."""
        data = case_completed(**kwargs)
        event = envelope(CaseCompleted.model_validate(data))
        await self.app.state.runtime.bus.publish(topic, [event])

        async def known() -> bool:
            return bool(await self.sql("SELECT 1 FROM evaluated_case WHERE case_id = :c", c=data["case_id"]))

        await eventually(known, what=f"case {data['case_id']} from the bus")
        return data

    async def answer_in_hotline(
        self, consultation_id: str, answer: str, *, department: str = DEPT_A, order_id: str | None = None
    ) -> ConsultationAnswered:
        """The department answers the 12345 work order made of the consultation, now: ``hotline.consultation.
        answered`` on the service's bus, waited for until the answer is there."""
        now = self.clock()
        event = ConsultationAnswered(
            order_id=order_id or str(uuid.uuid4()),
            number=f"GX12345-{now:%Y%m%d}-0A1B2C3D",
            kind="consultation",
            category="other",
            region="450102",
            occurred_at=now,
            consultation_id=consultation_id,
            department=department,
            answer=answer,
            answered_at=now,
        )
        await self.app.state.runtime.bus.publish(ConsultationAnswered.topic, [envelope(event)])

        async def answered() -> bool:
            rows = await self.sql("SELECT answer FROM consultation WHERE id = :c", c=uuid.UUID(consultation_id))
            return bool(rows) and rows[0].answer == answer

        await eventually(answered, what=f"the hotline's answer to {consultation_id}")
        return event

    async def rate(
        self, case_id: str, level: int, *, who: str = "citizen-1", reasons: list[str] | None = None, **extra: Any
    ) -> httpx.Response:
        if reasons is None:
            reasons = ["slow"] if level <= 2 else ["fast"]
        body = {"case_id": case_id, "level": level, "reasons": reasons, "channel": "web", **extra}
        return await self.client.post("/v1/ratings", json=body, headers=self.citizen(who))

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
        "outbox_poll_seconds": 0.1,
        "log_json": False,
    }
    values.update(over)
    return Settings(**values)


@asynccontextmanager
async def run_evaluation(tmp_path: Path, *, start: datetime | None = None, **over: Any) -> AsyncIterator[Api]:
    clock = Clock(start or datetime(2026, 9, 24, 2, 0, tzinfo=UTC))  # 10:00 on Thursday 24 September in China
    app = create_app(settings_for(tmp_path, **over), clock=clock)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_lifespan(app) as client:
        yield Api(client=client, app=app, issuer=issuer, clock=clock)


@pytest.fixture
async def api(pg_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """svc-evaluation on PostgreSQL (embedded event log), its clock at 2026-09-24 10:00 China time."""
    async with run_evaluation(tmp_path, database_url=pg_url) as running:
        yield running


RunEvaluation = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def serve_evaluation(tmp_path: Path) -> RunEvaluation:
    """``async with serve_evaluation(**settings) as api``: the service with other settings (SQLite by default)."""

    def factory(**over: Any) -> AbstractAsyncContextManager[Api]:
        return run_evaluation(tmp_path, **over)

    return factory
