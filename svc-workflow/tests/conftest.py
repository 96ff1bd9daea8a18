"""Fixtures of svc-workflow's tests: the service on a real database and bus, a settable clock, tokens for
any principal, and helpers that publish what catalog, application and payment would publish, built with
their gov_contracts models (never with the publishers' code)."""

from __future__ import annotations

import asyncio
import copy
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from gov_common.bus.kafka import KafkaBus
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts import Event
from gov_contracts.application import (
    Applicant,
    ApplicationSubmitted,
    ApplicationSupplemented,
    ApplicationWithdrawn,
    DepartmentRef,
    ItemRef,
    MaterialRef,
)
from gov_contracts.catalog import ItemDefinition
from gov_contracts.payment import OrderPaid
from gov_contracts.testing import FOOD_LICENCE, envelope, item_definition
from gov_contracts.testing import item_published as published_event
from gov_standards.china_time import CHINA_TZ as CHINA
from workflow.clock import SettableClock
from workflow.main import SPEC, create_app
from workflow.models import Case, Task
from workflow.settings import Settings

NANNING, LIUZHOU = "450100", "450200"
NN_MARKET = "11450100MBQH0Y21QM"  # 南宁市市场监督管理局 (catalog seed)
LZ_MARKET = "11450200MBR4H32Y66"  # 柳州市市场监督管理局
CODE = "000112004000-450100-test"
# Tuesday 10 February 2026, 09:00 in China: the Spring Festival break (15-23 Feb) is days away.
START = datetime(2026, 2, 10, 9, 0, tzinfo=CHINA)
_serial = itertools.count(1)


def food_definition(**overrides: Any) -> ItemDefinition:
    """食品经营许可 as Nanning implements it (catalog's demo data, from the contracts' test builders),
    promised in 3 working days; ``overrides`` replace top-level fields."""
    return item_definition(**overrides)


def food_process() -> dict[str, Any]:
    """The food licence's process template as JSON, to edit and pass back as ``process=``."""
    return copy.deepcopy(FOOD_LICENCE["process"])


def valid_form() -> dict[str, Any]:
    return {
        "enterprise_name": "南宁市青秀区示例餐饮店",
        "credit_code": "92450103MA5N8K2X3Q",
        "legal_representative": "张某某",
        "phone": "13800000000",
        "business_address": "南宁市青秀区民族大道1号",
        "food_business_category": "餐饮服务",
    }


def uploaded(name: str) -> MaterialRef:
    """A material the applicant uploaded."""
    return MaterialRef(name=name, source="upload", sha256="ab" * 32, license_id=None, license_type=None, verified=False)


def from_license(name: str, license_id: str, license_type: str = "x") -> MaterialRef:
    """A material taken from the applicant's verified e-license (免提交)."""
    return MaterialRef(
        name=name, source="license", sha256=None, license_id=license_id, license_type=license_type, verified=True
    )


def submitted(
    application_id: str | None = None,
    *,
    code: str = CODE,
    version: int = 1,
    applicant: str | None = "citizen-1",
    channel: str = "online",
    materials: list[MaterialRef] | None = None,
    form: dict[str, Any] | None = None,
) -> ApplicationSubmitted:
    """``application.submitted`` as application publishes it (``applicant=None``: a hall case of a person
    without an account)."""
    return ApplicationSubmitted(
        application_id=application_id or str(uuid.uuid4()),
        tracking_number=f"{NANNING}{START:%Y%m%d}{next(_serial):06d}",  # region, day, serial
        submitted_at=START,
        channel=channel,  # type: ignore[arg-type]
        item=ItemRef(implementation_code=code, version=version, name="食品经营许可"),
        bundle_code=None,
        region=NANNING,
        department=DepartmentRef(code=NN_MARKET, name="南宁市市场监督管理局"),
        applicant=Applicant(
            subject=applicant, kind="citizen", enterprise=None, agent=None, name_masked="张*", id_tail="002X"
        ),
        form=form if form is not None else valid_form(),
        materials=tuple(materials) if materials is not None else (uploaded("食品经营许可申请书"),),
    )


def supplemented(
    app: ApplicationSubmitted, case: Case, at: datetime, materials: list[MaterialRef]
) -> ApplicationSupplemented:
    return ApplicationSupplemented(
        application_id=app.application_id,
        tracking_number=app.tracking_number,
        case_id=str(case.id),
        supplemented_at=at,
        materials=tuple(materials),
        form=None,
    )


def withdrawn(app: ApplicationSubmitted, case: Case, at: datetime, reason: str) -> ApplicationWithdrawn:
    return ApplicationWithdrawn(
        application_id=app.application_id,
        tracking_number=app.tracking_number,
        case_id=str(case.id),
        withdrawn_at=at,
        reason=reason,
    )


def order_paid(case: Case, amount_fen: int, at: datetime, order_id: str = "order-1") -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        case_id=str(case.id),
        application_id=case.application_id,
        tracking_number=case.tracking_number,
        department=case.department,
        region=case.region,
        amount_fen=amount_fen,
        channel="sandbox",
        channel_trade_no="T1",
        paid_at=at,
        receipt_no="R1",
    )


@dataclass
class Env:
    """svc-workflow running, and what the tests do to it."""

    app: FastAPI
    client: httpx.AsyncClient
    issuer: TestIssuer
    clock: SettableClock
    settings: Settings

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def staff(
        self, *roles: str, region: str = NANNING, department: str = NN_MARKET, subject: str | None = None
    ) -> dict[str, str]:
        return self.issuer.headers(
            subject or f"staff-{region}-{'-'.join(roles)}",
            kind="staff",
            roles=roles,
            region=region,
            department=department,
        )

    def citizen(self, subject: str = "citizen-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    def topic(self, model: type[Event]) -> str:
        """The topic ``model`` travels on in this test (the contract's, after the test's prefix)."""
        return self.settings.topic_prefix + model.topic

    async def send(self, event: Event, *, event_id: str | None = None, subject: str | None = None) -> str:
        """Publish ``event`` as its publisher would (``subject`` overrides the partition key)."""
        ce = envelope(event, **({"id": event_id} if event_id else {}))
        ce = replace(ce, subject=subject) if subject else ce
        await self.app.state.runtime.bus.publish(self.topic(type(event)), [ce])
        return ce.id

    async def publish_item(
        self, definition: ItemDefinition | None = None, *, code: str = CODE, version: int = 1
    ) -> None:
        await self.send(
            published_event(definition, code=code, version=version, inherits="000112004000", published_at=START)
        )
        await self.wait(
            lambda s: s.scalar(
                sa.text("SELECT count(*) FROM item_version WHERE implementation_code = :c AND version = :v").bindparams(
                    c=code, v=version
                )
            )
        )

    async def submit(self, event: ApplicationSubmitted, *, event_id: str | None = None) -> Case:
        await self.send(event, event_id=event_id)
        return await self.case_of(event.application_id)

    async def wait(self, probe: Callable[[Any], Awaitable[Any]], timeout: float = 30) -> Any:
        """Poll ``probe(session)`` until it returns something truthy."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with self.db.transaction() as session:
                got = await probe(session)
            if got:
                return got
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.05)

    async def case_of(self, application_id: str, status: str | None = None) -> Case:
        async def probe(session: Any) -> Case | None:
            case: Case | None = await session.scalar(sa.select(Case).where(Case.application_id == application_id))
            return case if case is not None and (status is None or case.status == status) else None

        result: Case = await self.wait(probe)
        return result

    async def open_task(self, case_id: uuid.UUID, kind: str) -> Task:
        async def probe(session: Any) -> Task | None:
            task: Task | None = await session.scalar(
                sa.select(Task).where(Task.case_id == case_id, Task.kind == kind, Task.status.in_(("open", "claimed")))
            )
            return task

        result: Task = await self.wait(probe)
        return result

    async def act(self, case_id: uuid.UUID, kind: str, role: str, body: dict[str, Any], **who: Any) -> httpx.Response:
        """Claim the case's open task of ``kind`` as a staff member with ``role`` and complete it."""
        task = await self.open_task(case_id, kind)
        headers = self.staff(role, **who)
        claimed = await self.client.post(f"/v1/tasks/{task.id}/claim", headers=headers)
        assert claimed.status_code == 200, claimed.text
        return await self.client.post(f"/v1/tasks/{task.id}/complete", json=body, headers=headers)

    async def event_types(self, case_id: uuid.UUID) -> list[str]:
        async with self.db.transaction() as session:
            rows = await session.scalars(
                sa.select(outbox_event.c.type)
                .where(outbox_event.c.subject == str(case_id))
                .order_by(outbox_event.c.seq)
            )
            return list(rows)

    async def event_data(self, case_id: uuid.UUID, type: str) -> dict[str, Any]:
        async with self.db.transaction() as session:
            data: dict[str, Any] = await session.scalar(
                sa.select(outbox_event.c.data).where(
                    outbox_event.c.subject == str(case_id), outbox_event.c.type == type
                )
            )
            return data


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


StartEnv = Callable[..., AbstractAsyncContextManager[Env]]


@pytest.fixture
def start_env(tmp_path: Path, issuer: TestIssuer, clock: SettableClock) -> StartEnv:
    """Start svc-workflow on ``database_url`` with the embedded log (default) or Kafka, on topics of its own."""

    @asynccontextmanager
    async def start(database_url: str = "", *, kafka: str | None = None, **overrides: Any) -> AsyncIterator[Env]:
        prefix = f"test.{uuid.uuid4().hex[:10]}."  # topics of its own on the shared broker
        topics = [prefix + t for sub in SPEC.subscriptions for t in sub.topics] + [prefix + "gov.workflow.cases"]
        bus: dict[str, Any] = {"event_bus": "kafka", "kafka_bootstrap_servers": kafka} if kafka else {}
        if kafka:  # create the topics first, so that the consumers see them at once
            producer = KafkaBus(kafka)
            try:
                for name in topics:
                    await producer.publish(
                        name, [CloudEvent(type="test.topic.created", source="/tests", subject="-", data={})]
                    )
            finally:
                await producer.stop()
        options: dict[str, Any] = {
            "data_dir": tmp_path,
            "database_url": database_url,
            "log_json": False,
            "outbox_poll_seconds": 0.05,
            "consumer_retry_backoff_seconds": 0.05,
            "allow_time_travel": True,
            "sla_sweep_enabled": False,
            "topic_prefix": prefix,
            **bus,
            **overrides,
        }
        settings = Settings(**options)
        app = create_app(settings, clock=clock)
        issuer.install(app)
        async with serve_lifespan(app) as client:
            yield Env(app=app, client=client, issuer=issuer, clock=clock, settings=settings)

    return start


@pytest.fixture
async def env(pg_url: str, start_env: StartEnv) -> AsyncIterator[Env]:
    """svc-workflow on a fresh PostgreSQL database (embedded log), the Nanning food item known."""
    async with start_env(pg_url) as running:
        await running.publish_item()
        yield running


def later(clock: SettableClock, days: int, hour: int = 10) -> None:
    """Move the clock to ``hour`` o'clock China time, ``days`` calendar days on."""
    local = clock.at.astimezone(CHINA) + timedelta(days=days)
    clock.at = local.replace(hour=hour, minute=0)
