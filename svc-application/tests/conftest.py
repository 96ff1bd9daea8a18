"""svc-application in tests: the app on a real database (PostgreSQL by default), tokens from a test issuer,
a stub svc-certificates wallet honouring the HTTP contract, and helpers that publish catalog and workflow
events the way their services do."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Query, Request

from application.consumers import CASES, ITEMS
from application.deps import AppContext
from application.licenses import HttpLicenseLookup
from application.logistics import AddressCipher, SandboxLogistics
from application.main import create_app
from application.settings import Settings
from application.storage import LocalStorage, NoScanner
from gov_common.crypto import load_keys
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts import testing
from gov_contracts.catalog import ItemDefinition
from gov_contracts.registry import model_for
from gov_standards.calendar import default_calendar
from gov_standards.china_time import CHINA_TZ as CST

DEPT = "11450100MBQH0Y21QM"  # Nanning market regulation (catalog's example)
REGION = "450100"
ENTERPRISE = "91450100MA5KXXXX1Y"
ID_NUMBER = "11010519491231002X"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "business_name": {"type": "string", "minLength": 2},
        "area_m2": {"type": "number", "minimum": 1},
        "contact": {
            "type": "object",
            "properties": {"phone": {"type": "string", "pattern": "^1[3-9][0-9]{9}$"}},
            "required": ["phone"],
        },
    },
    "required": ["business_name", "area_m2"],
}
GOOD_FORM = {"business_name": "南宁小食店", "area_m2": 45, "contact": {"phone": "13800000001"}}


def definition(**over: Any) -> ItemDefinition:
    """A valid catalog item definition (the contract's model checks it)."""
    body: dict[str, Any] = {
        "basic_code": "000112004000",
        "name": "食品经营许可",
        "item_type": "01",
        "legal_basis": ["《中华人民共和国食品安全法》第三十五条"],
        "region": REGION,
        "department": {"code": DEPT, "name": "南宁市市场监督管理局"},
        "service_object": "both",
        "time_limit": {"statutory_days": 20, "promised_days": 10},
        "fees": [],
        "materials": [
            {"name": "营业执照", "license_type": "营业执照"},
            {"name": "经营场所平面图"},
            {"name": "其他说明", "required": False},
        ],
        "form_schema": FORM_SCHEMA,
        "process": {"steps": [{"kind": "accept", "name": "受理", "role": "acceptor", "share_percent": 100}]},
        "onsite_visits": 0,
        "online_stages": [1, 2, 3, 4, 5, 6, 7],
        "delivery": ["electronic", "pickup", "mail"],
        "contact": {"consultation_phone": "0771-12345", "complaint_phone": "12345"},
    }
    body.update(over)
    return ItemDefinition.model_validate(body)


def item_code(defn: ItemDefinition) -> str:
    return f"{defn.basic_code}{defn.region.ljust(12, '0')}{defn.department.code}000"


def item_published_event(defn: ItemDefinition | None = None, version: int = 1) -> CloudEvent:
    defn = defn or definition()
    return testing.envelope(testing.item_published(defn, code=item_code(defn), version=version))


# What each case event carries beyond the common fields, unless a test says otherwise (gov_contracts.workflow).
CASE_EVENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "workflow.case.accepted": {"accepted_by": "staff-1", "deadline": "2026-12-11"},
    "workflow.case.refused": {"reason": "不属于受理范围"},
    "workflow.case.supplement_requested": {"missing": [{"material": "经营场所平面图", "reason": "不清晰"}], "note": ""},
    "workflow.case.approved": {
        "decided_by": "staff-2",
        "opinion": "同意",
        "decided_at": "2026-12-01T10:00:00+08:00",
        "result_license_type": None,
        "license_fields": {},
        "holder": {"id_type": "citizen_id", "name": "张三"},
    },
    "workflow.case.rejected": {
        "reason": "材料不实",
        "legal_basis": "《行政许可法》第三十一条",
        "decided_by": "staff-2",
    },
    "workflow.case.completed": {
        "completed_at": "2026-12-01T10:00:00+08:00",
        "result": "approved",
        "handled_by": ["staff-2"],
    },
    "workflow.case.withdrawn": {"reason": "申请人撤回"},
    "workflow.sla.warning": {"deadline": "2026-12-11", "stage": "review"},
}


def case_event(event_type: str, application: dict[str, Any], case_id: str, **extra: Any) -> CloudEvent:
    """A ``workflow.case.*`` (or ``workflow.sla.*``) event as workflow publishes it: its contract checks it."""
    data = {
        "case_id": case_id,
        "application_id": application["id"],
        "tracking_number": application["tracking_number"],
        "item_code": application["item"]["implementation_code"],
        "item_name": application["item"]["name"],
        "region": application["region"],
        "department": application["department"]["code"],
        "applicant": {"subject": application["applicant"]["subject"], "kind": "citizen", "enterprise": None},
        "occurred_at": datetime.now(UTC).isoformat(),
        **CASE_EVENT_DEFAULTS.get(event_type, {}),
        **extra,
    }
    model = model_for(event_type)
    assert model is not None, f"no contract for {event_type}"
    return testing.envelope(model.read(data))


# ---------------------------------------------------------------- halls and slots

HALL = {
    "name": "南宁市民中心",
    "region": "450100",
    "address": "南宁市青秀区民族大道",
    "periods": [["09:00", "12:00"], ["13:30", "17:00"]],
    "slot_minutes": 30,
    "windows": [{"name": "窗口 1", "capacity_per_slot": 3}, {"name": "窗口 2", "capacity_per_slot": 2}],
}


def next_working_day(after: date) -> date:
    day = after + timedelta(days=1)
    while not default_calendar().is_working_day(day):
        day += timedelta(days=1)
    return day


def slot_at(day: date, clock: str = "09:00") -> str:
    return datetime.combine(day, time.fromisoformat(clock), CST).isoformat()


async def make_hall(svc: Svc) -> dict[str, Any]:
    resp = await svc.client.post("/v1/halls", json=HALL, headers=svc.staff("admin-1", roles=("staff_admin",)))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


# ---------------------------------------------------------------- stub svc-certificates


def _subject_of(token: str) -> str | None:
    try:
        payload = token.split(".")[1]
        return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
    except (IndexError, ValueError, KeyError):
        return None


def wallet_stub(wallets: dict[str, list[dict[str, Any]]], calls: list[dict[str, Any]]) -> FastAPI:
    """``GET /v1/wallet/licenses?type=...``: the caller's own licenses (by the token's subject)."""
    stub = FastAPI()

    @stub.get("/v1/wallet/licenses")
    async def licenses(request: Request, type: list[str] = Query(default=[])) -> dict[str, Any]:
        token = request.headers.get("authorization", "").partition(" ")[2]
        subject = _subject_of(token)
        calls.append({"subject": subject, "types": type})
        own = wallets.get(subject or "", [])
        return {"items": [lic for lic in own if lic["type_code"] in type or lic.get("type_name") in type]}

    return stub


# ---------------------------------------------------------------- the running service


@dataclass
class Svc:
    app: FastAPI
    client: httpx.AsyncClient
    issuer: TestIssuer
    wallets: dict[str, list[dict[str, Any]]]
    wallet_calls: list[dict[str, Any]]
    logistics: SandboxLogistics
    items: list[str] = field(default_factory=list)

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    def citizen(self, subject: str = "citizen-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    def enterprise(
        self,
        subject: str = "agent-1",
        enterprise: str = ENTERPRISE,
        scopes: tuple[str, ...] = ("application.applications.read", "application.applications.write"),
    ) -> dict[str, str]:
        return self.issuer.headers(subject, kind="enterprise", enterprise=enterprise, scopes=scopes)

    def staff(
        self,
        subject: str = "staff-1",
        roles: tuple[str, ...] = ("acceptor",),
        department: str = DEPT,
        region: str = REGION,
    ) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=roles, department=department, region=region)

    def system(self, subject: str, scopes: tuple[str, ...]) -> dict[str, str]:
        return self.issuer.headers(subject, kind="system", scopes=scopes)

    async def publish_item(self, defn: ItemDefinition | None = None, version: int = 1) -> str:
        """What the consumer does with ``catalog.item.published`` (delivered through the inbox elsewhere)."""
        event = item_published_event(defn, version)
        async with self.db.transaction() as session:
            await ITEMS(session, event)
        return event.subject

    async def deliver_case_event(self, event: CloudEvent) -> None:
        async with self.db.transaction() as session:
            await CASES(session, event)

    async def create(
        self,
        headers: dict[str, str],
        *,
        code: str,
        form: dict[str, Any] | None = None,
        applicant: dict[str, Any] | None = None,
        submit: bool = False,
        key: str | None = None,
    ) -> httpx.Response:
        body = {
            "item_code": code,
            "applicant": applicant or {"name": "张三", "id_number": ID_NUMBER},
            "form": GOOD_FORM if form is None else form,
            "submit": submit,
        }
        return await self.client.post(
            "/v1/applications", json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex}
        )

    async def upload(
        self, app_id: str, headers: dict[str, str], name: str, content: bytes = PDF, filename: str = "doc.pdf"
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/applications/{app_id}/materials",
            data={"name": name},
            files={"file": (filename, content, "application/octet-stream")},
            headers=headers,
        )

    async def complete_draft(self, headers: dict[str, str], code: str) -> dict[str, Any]:
        """A draft with the form filled and both required materials uploaded."""
        resp = await self.create(headers, code=code)
        assert resp.status_code == 201, resp.text
        app = resp.json()
        for name in ("营业执照", "经营场所平面图"):
            up = await self.upload(app["id"], headers, name)
            assert up.status_code == 201, up.text
        return dict(app)

    async def submit(self, app_id: str, headers: dict[str, str], key: str | None = None, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"/v1/applications/{app_id}/submit",
            json=body,
            headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
        )

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


def settings_for(tmp_path: Path, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "environment": "test",
        "outbox_poll_seconds": 0.1,
        "log_json": False,
        "max_upload_bytes": 64 * 1024,
        "consumer_retry_backoff_seconds": 0.05,
    }
    values.update(over)
    return Settings(**values)


@asynccontextmanager
async def run_application(tmp_path: Path, **over: Any) -> AsyncIterator[Svc]:
    settings = settings_for(tmp_path, **over)
    wallets: dict[str, list[dict[str, Any]]] = {}
    calls: list[dict[str, Any]] = []
    logistics = SandboxLogistics()
    context = AppContext(
        settings=settings,
        storage=LocalStorage(settings.effective_storage_dir),
        scanner=NoScanner(),
        licenses=HttpLicenseLookup(
            "http://certificates", transport=httpx.ASGITransport(app=wallet_stub(wallets, calls))
        ),
        logistics=logistics,
        cipher=AddressCipher(load_keys(settings, service="application").ring),
    )
    app = create_app(settings, context=context)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_lifespan(app) as client:
        yield Svc(app=app, client=client, issuer=issuer, wallets=wallets, wallet_calls=calls, logistics=logistics)


RunApplication = Callable[..., AbstractAsyncContextManager[Svc]]


@pytest.fixture
def serve_application(tmp_path: Path) -> RunApplication:
    def factory(**over: Any) -> AbstractAsyncContextManager[Svc]:
        return run_application(tmp_path, **over)

    return factory


@pytest.fixture
async def svc(pg_url: str, tmp_path: Path) -> AsyncIterator[Svc]:
    """svc-application on PostgreSQL (embedded event log), one item published."""
    async with run_application(tmp_path, database_url=pg_url) as running:
        running.items.append(await running.publish_item())
        yield running
