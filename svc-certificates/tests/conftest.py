"""Fixtures of svc-certificates' tests: the app on a real PostgreSQL database, a token issuer, a stub of
identity's holder endpoint (honouring its contract) and the demo license types."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Form, Header, HTTPException

from certificates.main import create_app
from certificates.settings import Settings
from gov_common.testing import TestIssuer, serve_lifespan

DEPT = "11450100MBQH0Y21QM"  # Nanning market regulation
OTHER_DEPT = "11450200MB0000000T"
CITIZEN_ID = "11010519491231002X"
ENTERPRISE = "91450100MA5K9X2B3J"
BIZ = "11100000000013338W001"  # 营业执照 (demo)
FOOD = "11100000000013338W011"  # 食品经营许可证 (demo)


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


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    issuer: TestIssuer

    def staff(self, *roles: str, department: str = DEPT, subject: str = "staff-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=roles, region="450100", department=department)

    def citizen(self, subject: str = "citizen-1") -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    def enterprise(
        self, code: str = ENTERPRISE, subject: str = "agent-1", scopes: tuple[str, ...] = ("license:read",)
    ) -> dict[str, str]:
        return self.issuer.headers(subject, kind="enterprise", enterprise=code, scopes=scopes)

    async def issue(
        self, *, key: str = "k1", holder: dict[str, Any] | None = None, type_code: str = BIZ, **extra: Any
    ) -> dict[str, Any]:
        body = {
            "type_code": type_code,
            "holder": holder or {"id_type": "credit_code", "id_number": ENTERPRISE, "name": "南宁示例科技有限公司"},
            "fields": {"entity_name": "南宁示例科技有限公司", "legal_representative": "张三"}
            if type_code == BIZ
            else {"operator_name": "南宁示例餐饮店"},
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
