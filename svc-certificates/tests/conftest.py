"""Fixtures of svc-certificates' tests: the app on a real PostgreSQL database, a token issuer, a stub of
identity's holder endpoint (honouring its contract) and the demo license types."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Form, Header, HTTPException

from certificates.consumers import handlers, notice_handlers
from certificates.demo import DEMO_TYPES
from certificates.main import create_app
from certificates.settings import Settings
from gov_common.events import CloudEvent
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts import testing
from gov_contracts.workflow import CaseApproved

DEPT = "11450100MBQH0Y21QM"  # Nanning market regulation
OTHER_DEPT = "11450200MB0000000T"
CITIZEN_ID = "11010519491231002X"
ENTERPRISE = "91450100MA5K9X2B3J"
BIZ = "11100000000013338W001"  # 营业执照 (demo)
FOOD = "11100000000013338W011"  # 食品经营许可证 (demo)
REGION = "450100"  # Nanning
TYPE_NAMES = {t["code"]: t["name"] for t in DEMO_TYPES}
FIRM = {"subject": "agent-1", "kind": "enterprise", "enterprise": ENTERPRISE}
PERSON = {"subject": "citizen-1", "kind": "citizen", "enterprise": None}


@dataclass
class IdentityStub:
    """identity's token endpoint and ``GET /v1/accounts/{subject}/holder`` as the contract says."""

    holders: dict[str, dict[str, str]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(grant_type: str = Form(), scope: str = Form("")) -> dict[str, Any]:
            assert grant_type == "client_credentials" and scope == "identity.holder.read"
            return {"access_token": "system-token", "token_type": "Bearer", "expires_in": 300}

        @app.get("/v1/accounts/{subject}/holder")
        async def holder(subject: str, authorization: str = Header()) -> dict[str, str]:
            if authorization != "Bearer system-token":
                raise HTTPException(403)
            if subject not in self.holders:
                raise HTTPException(404)
            self.reads.append(subject)
            return self.holders[subject]

        return app


def case_approved(
    *,
    case_id: str | None = None,
    type_code: str = BIZ,
    applicant: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    region: str = REGION,
    department: str = DEPT,
    holder_name: str = "南宁示例科技有限公司",
) -> CloudEvent:
    """workflow.case.approved as workflow publishes it (docs/events.md); without ``fields`` the form fills
    none of the type's, so the case waits for its approver to issue by hand."""
    case_id = case_id or str(uuid.uuid4())
    applicant = applicant or FIRM
    data = {
        "case_id": case_id,
        "application_id": str(uuid.uuid4()),
        "tracking_number": "GX" + case_id[:8],
        "item_code": "000112004000-" + type_code[-4:],
        "item_name": TYPE_NAMES[type_code] + "办理",
        "region": region,
        "department": department,
        "applicant": applicant,
        "occurred_at": "2026-11-27T10:00:00+08:00",
        "decided_by": "staff-7",
        "opinion": "同意",
        "decided_at": "2026-11-27T10:00:00+08:00",
        "result_license_type": TYPE_NAMES[type_code],
        "license_fields": fields or {},
        "holder": {
            "id_type": "credit_code" if applicant["kind"] == "enterprise" else "citizen_id",
            "id_hash": None,
            "name": holder_name,
        },
    }
    return testing.envelope(CaseApproved.model_validate(data))


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    issuer: TestIssuer

    def staff(
        self, *roles: str, department: str = DEPT, subject: str = "staff-1", region: str = REGION, **kwargs: Any
    ) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=roles, region=region, department=department, **kwargs)

    def citizen(self, subject: str = "citizen-1", **kwargs: Any) -> dict[str, str]:
        """A citizen verified in person (level 3) unless ``acr`` says otherwise: imported licenses open to
        level 3 only."""
        return self.issuer.headers(subject, kind="citizen", **({"acr": "3"} | kwargs))

    def enterprise(self, code: str = ENTERPRISE, subject: str = "agent-1", **kwargs: Any) -> dict[str, str]:
        return self.issuer.headers(subject, kind="enterprise", enterprise=code, **kwargs)

    def department_system(
        self,
        department: str | None = DEPT,
        *,
        region: str | None = REGION,
        client_id: str = "nn-market-registry",
        scopes: tuple[str, ...] = ("certificates.licenses.import",),
    ) -> dict[str, str]:
        """A department's own system (client credentials; identity puts its department in the token)."""
        return self.issuer.headers(
            client_id, kind="system", client_id=client_id, region=region, department=department, scopes=list(scopes)
        )

    async def publish_item(self, *, type_code: str = BIZ, department: str = DEPT) -> None:
        """catalog.item.published of an item of ``department`` producing ``type_code``, as the bus hands it."""
        code = f"000112004000-{department[-4:]}-{type_code[-4:]}"
        definition = testing.item_definition(
            name=TYPE_NAMES[type_code] + "登记",
            department={"code": department, "name": "南宁市市场监督管理局" if department == DEPT else "其他局"},
            result_license_type=TYPE_NAMES[type_code],
        )
        await self.deliver(testing.envelope(testing.item_published(definition, code=code)))

    async def deliver(self, event: CloudEvent) -> None:
        """Hand ``event`` to the service's consumer groups as the bus would (each ignores others' types)."""
        async with self.app.state.runtime.db.transaction() as session:
            ctx = lambda: self.app.state.certificates  # noqa: E731
            for group in (*handlers(ctx), notice_handlers(ctx)):
                await group(session, event)

    async def approve(self, event: CloudEvent) -> str:
        """Hand ``event`` to the service's consumer as the bus would; the case id."""
        await self.deliver(event)
        return str(event.subject)

    async def issue(
        self,
        *,
        key: str = "k1",
        type_code: str = BIZ,
        applicant: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An approved case whose form filled none of the license's fields, then its approver issues it."""
        case_id = await self.approve(case_approved(type_code=type_code, applicant=applicant))
        body = {
            "case_id": case_id,
            "type_code": type_code,
            "fields": fields
            or (
                {"entity_name": "南宁示例科技有限公司", "legal_representative": "张三"}
                if type_code == BIZ
                else {"operator_name": "南宁示例餐饮店"}
            ),
            **extra,
        }
        resp = await self.client.post(
            "/v1/licenses", json=body, headers={**self.staff("approver"), "Idempotency-Key": key}
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def identity() -> IdentityStub:
    return IdentityStub(holders={"citizen-1": {"id_type": "citizen_id", "id_number": CITIZEN_ID, "name": "李四"}})


@pytest.fixture
def app_factory(tmp_path: Path, issuer: TestIssuer, identity: IdentityStub) -> Callable[..., FastAPI]:
    def make(**settings: Any) -> FastAPI:
        app = create_app(
            Settings(
                data_dir=tmp_path,
                log_json=False,
                outbox_poll_seconds=0.1,
                demo_data=True,
                public_base_url="https://gov.example/api/certificates",
                **settings,
            ),
            identity_transport=httpx.ASGITransport(app=identity.app()),
        )
        issuer.install(app)
        return app

    return make


@pytest.fixture
async def api(pg_url: str, app_factory: Callable[..., FastAPI], issuer: TestIssuer) -> AsyncIterator[Api]:
    """svc-certificates on a fresh PostgreSQL database (embedded event log) with the demo license types."""
    app = app_factory(database_url=pg_url)
    async with serve_lifespan(app) as client:
        yield Api(client=client, app=app, issuer=issuer)
