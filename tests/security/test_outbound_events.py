"""Issue 15, finding 8: what exchange's webhooks send to external systems. Attacks by (or on behalf of) a
city platform that subscribes to the province's events, against svc-exchange in-process on PostgreSQL: the
events come in through exchange's own consumers, and its real dispatcher posts the deliveries (to a
recording transport instead of the network), so each answer is what a receiver would get.

Answers: only the allow-listed outbound types can be subscribed to; a delivery carries that type's
allow-listed fields only (never an ID number, a name, form or license fields); and only records inside the
subscribing system's region are sent (a record that names no region is sent to no region-bound system).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from exchange import consumers
from exchange.main import create_app
from exchange.models import WebhookSubscription
from exchange.settings import Settings
from exchange.webhooks.service import fan_out
from exchange.webhooks.worker import Dispatcher
from gov_common.bus import MalformedEvent
from gov_common.events import CloudEvent
from gov_common.testing import TestIssuer, serve_lifespan

NANNING, LIUZHOU = "450100", "450200"
NN_MARKET = "11450100MBQH0Y21QM"
LZ_MARKET = "11450200MB0000001X"
HOOK = "https://hooks.nanning.example/gov-events"  # a public host name: no DNS is asked, see `Province.post_due`
ID_NUMBER, NAME = "450102199001011231", "张三"
OVERDUE = "evaluation.rectification.overdue"


@dataclass
class Province:
    """svc-exchange with a Nanning and a Liuzhou city platform registered, and what its webhooks posted."""

    client: httpx.AsyncClient
    app: Any
    issuer: TestIssuer
    settings: Settings
    posted: list[dict[str, Any]] = field(default_factory=list)  # the bodies, as receivers got them
    raw: list[bytes] = field(default_factory=list)

    def system(self, client_id: str) -> dict[str, str]:
        return self.issuer.headers(
            client_id, kind="system", client_id=client_id, scopes=["exchange.webhooks.manage", "exchange.catalog.read"]
        )

    async def register(self, client_id: str, region: str) -> None:
        admin = self.issuer.headers("admin-1", kind="staff", roles=["platform_admin"], region="450000")
        body = {
            "identifier": f"GX/city/{NN_MARKET}/{client_id}",
            "name": client_id,
            "kind": "city_platform",
            "region": region,
            "client_id": client_id,
            "scopes": ["exchange.webhooks.manage", "exchange.catalog.read"],
        }
        resp = await self.client.post("/v1/systems", json=body, headers=admin)
        assert resp.status_code == 201, resp.text

    async def subscribe(self, client_id: str, *types: str) -> httpx.Response:
        return await self.client.post(
            "/v1/webhooks/subscriptions", json={"url": HOOK, "event_types": list(types)}, headers=self.system(client_id)
        )

    async def consume(self, topic_handler: Any, event_type: str, subject: str, data: dict[str, Any]) -> CloudEvent:
        """``event`` handled by exchange's consumer of its topic, as the bus hands it over."""
        event = CloudEvent(type=event_type, source="/svc-test", subject=subject, data=data)
        async with self.app.state.runtime.db.transaction() as session:
            await topic_handler(session, event)
        return event

    async def post_due(self) -> None:
        """Exchange's dispatcher posts every due delivery; the transport records them (and answers 204)."""

        def receive(request: httpx.Request) -> httpx.Response:
            self.raw.append(request.content)
            self.posted.append(json.loads(request.content))
            return httpx.Response(204)

        client = httpx.AsyncClient(transport=httpx.MockTransport(receive))
        dispatcher = Dispatcher(self.app.state.runtime.db, self.settings, self.app.state.key_ring, client=client)
        try:
            while await dispatcher.run_once():
                pass
        finally:
            await client.aclose()


@pytest.fixture
async def province(pg_url: str, tmp_path: Path) -> AsyncIterator[Province]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_url,
        event_log_path=tmp_path / "events.db",
        webhook_worker_enabled=False,  # the test's dispatcher posts, through its recording transport
        log_json=False,
        log_level="WARNING",
    )
    app = create_app(settings)
    issuer = TestIssuer()
    issuer.install(app)
    async with serve_lifespan(app) as client:
        province = Province(client=client, app=app, issuer=issuer, settings=settings)
        await province.register("nanning-platform", NANNING)
        await province.register("liuzhou-platform", LIUZHOU)
        yield province


def license_issued(region: str | None, issuer: str = NN_MARKET) -> dict[str, Any]:
    """``certificates.license.issued`` data as certificates publishes it, ``region`` its 6-digit code."""
    data: dict[str, Any] = {
        "license_id": str(uuid.uuid4()),
        "identifier": f"1.2.156.3005.2.JY.{issuer}.0001.001.X",
        "type_code": "JY",
        "type_name": "食品经营许可证",
        "holder": {"subject": "citizen-1", "name_masked": "张*"},
        "issuer": {"code": issuer, "name": "市场监督管理局"},
        "valid_from": "2026-12-01",
        "valid_until": None,
        "case_id": str(uuid.uuid4()),
        "version": 1,
    }
    return data if region is None else {**data, "region": region}


def case_approved(region: str) -> dict[str, Any]:
    """``workflow.case.approved`` data as workflow publishes it: the license fields and the holder."""
    return {
        "case_id": str(uuid.uuid4()),
        "application_id": str(uuid.uuid4()),
        "tracking_number": "GX2026120100001",
        "item_code": f"{NN_MARKET}4000112345000",
        "item_name": "食品经营许可",
        "region": region,
        "department": NN_MARKET,
        "applicant": {"subject": "citizen-1", "kind": "citizen", "enterprise": None},
        "occurred_at": "2026-12-01T10:00:00+08:00",
        "decided_by": "approver-1",
        "opinion": "同意",
        "decided_at": "2026-12-01T10:00:00+08:00",
        "result_license_type": "JY",
        "license_fields": {"holder_name": NAME, "id_number": ID_NUMBER, "address": "南宁市青秀区民族大道1号"},
        "holder": {"id_type": "citizen_id", "id_hash": "ab" * 32, "name": NAME},
    }


async def test_a_city_platform_gets_no_license_of_another_city(province: Province) -> None:
    """Attack: Nanning's platform subscribes to license issuance, hoping for every license of the province
    (licenses carried no region, so every subscriber got each). Answer: it gets Nanning's license only; a
    Liuzhou license goes to Liuzhou's platform only, and one that names no region goes to no one."""
    assert (await province.subscribe("nanning-platform", "certificates.license.issued")).status_code == 201
    assert (await province.subscribe("liuzhou-platform", "certificates.license.issued")).status_code == 201
    handle = consumers.on_license
    nanning = await province.consume(handle, "certificates.license.issued", "l1", license_issued("450103"))
    liuzhou = await province.consume(handle, "certificates.license.issued", "l2", license_issued("450202", LZ_MARKET))
    with pytest.raises(MalformedEvent):  # its contract requires the region: dead-lettered, sent to no one
        await province.consume(handle, "certificates.license.issued", "l3", license_issued(None))
    await province.post_due()

    by_event = sorted((body["id"], body["data"]["region"]) for body in province.posted)
    assert by_event == sorted([(nanning.id, "450103"), (liuzhou.id, "450202")]), "one each, none regionless"
    rows = await province.client.get("/v1/webhooks/deliveries", headers=province.system("nanning-platform"))
    assert [d["event_id"] for d in rows.json()["items"]] == [nanning.id], "Nanning's own deliveries: its city's"


async def test_a_delivery_carries_the_allow_listed_fields_only(province: Province) -> None:
    """Attack: Nanning's platform subscribes to case approvals and licenses to collect the applicants' data
    (internal payloads were forwarded as they were: license_fields held every form field, the holder's name
    and ID number). Answer: each delivery has exactly its type's outbound fields; no ID number, no name, no
    form or license field is in any byte sent."""
    types = ("workflow.case.approved", "certificates.license.issued")
    assert (await province.subscribe("nanning-platform", *types)).status_code == 201
    case = await province.consume(consumers.on_case, "workflow.case.approved", "c1", case_approved("450103"))
    licence = await province.consume(
        consumers.on_license, "certificates.license.issued", "l1", license_issued("450103")
    )
    await province.post_due()

    got = {body["type"]: body for body in province.posted}
    assert got["workflow.case.approved"]["data"] == {
        "tracking_number": "GX2026120100001",
        "item_code": f"{NN_MARKET}4000112345000",
        "region": "450103",
        "status": "approved",
        "time": "2026-12-01T10:00:00+08:00",
    }
    assert got["certificates.license.issued"]["data"] == {
        "license_id": licence.data["license_id"],
        "identifier": licence.data["identifier"],
        "type_code": "JY",
        "issuer_code": NN_MARKET,
        "version": 1,
        "region": "450103",
        "time": licence.time.isoformat(),
    }
    assert got["workflow.case.approved"]["id"] == case.id
    sent = b"".join(province.raw).decode()
    for secret in (ID_NUMBER, NAME, "张*", "license_fields", "holder", "applicant", "citizen-1", "民族大道"):
        assert secret not in sent, f"{secret!r} left the platform"


async def test_internal_event_types_cannot_be_subscribed_to(province: Province) -> None:
    """Attack: a city platform subscribes to internal event types (submitted applications with their forms,
    fee requests, registrations, SLA warnings, overdue rectifications). Answer: 422 problem naming the type,
    no subscription made; and a subscription from before the allow-list that names one gets nothing of it."""
    for internal in (
        "application.submitted",
        "workflow.case.fee_requested",
        "identity.user.registered",
        "workflow.sla.overdue",
        OVERDUE,
    ):
        refused = await province.subscribe("nanning-platform", "workflow.case.accepted", internal)
        assert refused.status_code == 422, (internal, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert internal in refused.text
    listed = await province.client.get("/v1/webhooks/subscriptions", headers=province.system("nanning-platform"))
    assert listed.json() == {"items": [], "next_cursor": None}

    # A subscription kept from before the allow-list still names an internal type: its events stay inside.
    assert (await province.subscribe("nanning-platform", "workflow.case.accepted")).status_code == 201
    async with province.app.state.runtime.db.transaction() as session:
        await session.execute(sa.update(WebhookSubscription).values(event_types=["workflow.case.accepted", OVERDUE]))
        overdue = {"rectification_id": "r1", "rating_id": "g1", "department": NN_MARKET, "due": "2026-12-01"}
        assert (
            await fan_out(session, CloudEvent(type=OVERDUE, source="/svc-evaluation", subject="r1", data=overdue)) == 0
        )
    await province.post_due()
    assert province.posted == []
