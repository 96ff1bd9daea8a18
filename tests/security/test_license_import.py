"""Issue 15, finding 10 (an approver issued any license type to any holder), its follow-up: licenses a
department issued outside the platform come in only through that department's own system, and only as
the license types its department's published items produce. svc-certificates' own rule, so the service
runs in-process on PostgreSQL (no gateway involved), its item read model fed catalog.item.published as
catalog publishes it.

Each test is one attack and the platform's answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from certificates.consumers import handlers
from certificates.main import create_app
from certificates.models import License, Seal
from certificates.settings import Settings
from gov_common.events import CloudEvent
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts.testing import envelope, item_definition, item_published

pytestmark = pytest.mark.postgres

NN_MARKET, NN_CIVIL = "11450100MBQH0Y21QM", "11450100MB0000001E"  # Nanning's market regulation, civil affairs
NANNING = "450100"
BIZ, MARRIAGE = "11100000000013338W001", "11100000000014185J001"  # 营业执照, 结婚证 (demo types)
VICTIM_ID = "11010519491231002X"
PROBLEM = "application/problem+json"


def published(code: str, *, department: str, department_name: str, license_type: str) -> CloudEvent:
    """catalog.item.published of an item of ``department`` producing ``license_type``."""
    definition = item_definition(
        name=f"{license_type}办理",
        department={"code": department, "name": department_name},
        result_license_type=license_type,
    )
    return envelope(item_published(definition, code=code))


@pytest.fixture
async def certificates(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, TestIssuer]]:
    issuer = TestIssuer()
    settings = Settings(database_url=pg_url, data_dir=tmp_path, log_json=False, demo_data=True)
    app = create_app(settings, identity_transport=httpx.MockTransport(lambda _: httpx.Response(404)))
    issuer.install(app)
    async with serve_lifespan(app) as client:
        items, _ = handlers(lambda: app.state.certificates)
        async with app.state.runtime.db.transaction() as session:
            await items(
                session,
                published(
                    "nn-biz", department=NN_MARKET, department_name="南宁市市场监督管理局", license_type="营业执照"
                ),
            )
            await items(
                session,
                published("nn-marriage", department=NN_CIVIL, department_name="南宁市民政局", license_type="结婚证"),
            )
        yield app, client, issuer


async def test_a_department_system_cannot_import_another_departments_license_type(
    certificates: tuple[FastAPI, httpx.AsyncClient, TestIssuer],
) -> None:
    """Attack: market regulation's registration system (a genuine department system, with the import scope)
    imports a 结婚证 — civil affairs' license type — for a victim's ID number, to plant a marriage
    certificate in their wallet under its own seal. Answer: 403 problem+json
    ``certificates-not-the-departments-license-type``; no license, no event, no seal made for it."""
    app, client, issuer = certificates
    async with app.state.runtime.db.transaction() as session:  # the demo citizen's licence, from demo data
        before_licences = list(await session.scalars(sa.select(License.id)))
        before_events = list(await session.execute(sa.select(outbox_event.c.seq)))
        before_seals = list(await session.scalars(sa.select(Seal.department_code)))
    market_system = issuer.headers(
        "nn-market-registry",
        kind="system",
        client_id="nn-market-registry",
        department=NN_MARKET,
        region=NANNING,
        scopes=["certificates.licenses.import"],
    )
    body = {
        "type_code": MARRIAGE,
        "holder": {"id_type": "citizen_id", "id_number": VICTIM_ID, "name": "李秀英"},
        "fields": {"spouse_name": "王伪造", "registration_date": "2026-12-01"},
        "source_reference": "NN-FAKE-0001",
    }
    resp = await client.post("/v1/licenses/imports", json=body, headers={**market_system, "Idempotency-Key": "plant-1"})
    assert resp.status_code == 403, resp.text
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json()["type"].endswith("certificates-not-the-departments-license-type")
    async with app.state.runtime.db.transaction() as session:
        assert list(await session.scalars(sa.select(License.id))) == before_licences
        assert list(await session.execute(sa.select(outbox_event.c.seq))) == before_events
        assert list(await session.scalars(sa.select(Seal.department_code))) == before_seals

    # its own department's type goes through: the refusal is about the type, not the caller
    own = {**body, "type_code": BIZ, "fields": {"entity_name": "南宁老友粉店"}, "source_reference": "NN-0001"}
    ok = await client.post("/v1/licenses/imports", json=own, headers={**market_system, "Idempotency-Key": "own-1"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["issuer"]["code"] == NN_MARKET and ok.json()["type_code"] == BIZ
