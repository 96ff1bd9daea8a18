"""The handling loop across the real services on the production shape (one fresh PostgreSQL database per
service, one Kafka broker): the catalog publishes an item, application and workflow learn of it from
``catalog.item.published``, a citizen applies, staff handle the case through the workflow's inbox, and
the application follows every ``workflow.case.*`` event to the end.

1. The supplement loop (补正) end to end with the workflow service (issue 5): accept task → supplement
   request → the citizen supplements → acceptance restarts → accept, review, approve, deliver → completed.
2. An item with fees (issue 8): after approval the workflow asks for the fees, payment (on a real port,
   sandbox channel) creates the order, the citizen pays on the sandbox pay page, ``payment.order.paid``
   lets the workflow continue to approval and delivery.

The services publish on their fixed topics and consume in their fixed groups, so before the services
start, the groups they use are moved past what earlier runs left on those topics: a fresh database must
not receive another run's events (an older ``catalog.item.published`` of the same implementation code
would otherwise become this run's item version in the workflow)."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI

import application.main
import application.settings
import catalog.main
import catalog.settings
import payment.main
import payment.settings
import workflow.main
import workflow.settings
from catalog.seed.loader import implementation_definition, item_definition, seed_document
from gov_common.testing import TestIssuer, free_port, fresh_pg_database, serve_lifespan, serve_on_port

log = logging.getLogger(__name__)
T = TypeVar("T")

PROVINCE, NANNING = "450000", "450100"
PROVINCE_MARKET = "11450000MBDT9P36QH"  # 广西壮族自治区市场监督管理局 (catalog seed)
PROVINCE_POLICE = "11450000MBPTMBPT4X"  # 广西壮族自治区公安厅
NN_MARKET = "11450100MBQH0Y21QM"  # 南宁市市场监督管理局
FOOD = "000112004000"  # 食品经营许可: no fees
LICENCE_RENEWAL = "000104008000"  # 机动车驾驶证换证: 工本费 10 元
ID_NUMBER = "11010519491231002X"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TIMEOUT = 90.0  # consumer group joins and rebalances on Kafka take seconds

# The consumer groups of the services under test (fixed in each service's main.py) and their topics.
GROUPS: dict[str, list[str]] = {
    "application.catalog-items": ["gov.catalog.items"],
    "application.case-status": ["gov.workflow.cases"],
    "workflow.items": ["gov.catalog.items"],
    "workflow.applications": ["gov.application.applications"],
    "workflow.payments": ["gov.payment.orders"],
    "payment.fee-requests": ["gov.workflow.cases"],
}


# ---------------------------------------------------------------- helpers


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = TIMEOUT) -> T:
    """Poll ``probe`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        got = await probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


async def skip_stale_events(bootstrap: str, groups: dict[str, list[str]]) -> None:
    """Commit each group's offsets at the end of its topics (``--reset-offsets --to-latest``), so that the
    fresh databases of this run see only this run's events. A group another process is using right now
    refuses the commit; then it is left as it is (its events are still handled idempotently)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = sorted({t for group_topics in groups.values() for t in group_topics})
        partitions = {
            d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
            for d in await admin.describe_topics(topics)
            if d["error_code"] == 0
        }
    finally:
        await admin.close()
    for group, group_topics in groups.items():
        assigned = [tp for topic in group_topics for tp in partitions.get(topic, [])]
        if not assigned:
            continue  # a topic not created yet: nothing stale on it
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(assigned)
            ends = await consumer.end_offsets(assigned)
            await consumer.commit(dict(ends))
        except Exception as exc:  # the group is busy elsewhere: carry on
            log.warning("could not move group %s to the end of %s: %r", group, group_topics, exc)
        finally:
            await consumer.stop()


@asynccontextmanager
async def on_uvicorn(app: FastAPI, port: int) -> AsyncIterator[httpx.AsyncClient]:
    """``app`` served on a loopback port (its lifespan included); a client talking to it over HTTP."""
    async with serve_on_port(app, port) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client


async def sql(app: FastAPI, statement: str, **params: Any) -> list[Any]:
    async with app.state.runtime.db.transaction() as session:
        result = await session.execute(sa.text(statement), params)
        return list(result.all()) if result.returns_rows else []


@dataclass
class Platform:
    """catalog, application, workflow (and payment) running together on PostgreSQL and Kafka."""

    issuer: TestIssuer
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]

    @property
    def catalog(self) -> httpx.AsyncClient:
        return self.clients["catalog"]

    @property
    def application(self) -> httpx.AsyncClient:
        return self.clients["application"]

    @property
    def workflow(self) -> httpx.AsyncClient:
        return self.clients["workflow"]

    @property
    def payment(self) -> httpx.AsyncClient:
        return self.clients["payment"]

    def staff(self, subject: str, *roles: str, region: str, department: str) -> dict[str, str]:
        return self.issuer.headers(subject, kind="staff", roles=roles, region=region, department=department)

    def citizen(self, subject: str) -> dict[str, str]:
        return self.issuer.headers(subject, kind="citizen")

    # -- catalog

    async def publish_item(
        self, definition: dict[str, Any], *, region: str, department: str, inherits: str | None = None
    ) -> str:
        """Draft, submit and publish an item as catalog staff of its region and department."""
        editor = self.staff(f"editor-{region}", "catalog_editor", region=region, department=department)
        publisher = self.staff(f"publisher-{region}", "catalog_publisher", region=region, department=department)
        body: dict[str, Any] = {"definition": definition}
        if inherits:
            body["inherits"] = inherits
        created = await self.catalog.post("/v1/items", json=body, headers=editor)
        assert created.status_code == 201, created.text
        code = str(created.json()["implementation_code"])
        submitted = await self.catalog.post(f"/v1/items/{code}/versions/1/submit", headers=editor)
        assert submitted.status_code == 200, submitted.text
        published = await self.catalog.post(f"/v1/items/{code}/versions/1/publish", headers=publisher)
        assert published.status_code == 200, published.text
        assert published.json()["status"] == "published"
        return code

    async def item_known(self, code: str) -> None:
        """Wait until application and workflow both hold the item from ``catalog.item.published``."""
        await eventually(
            lambda: sql(
                self.apps["application"],
                "SELECT 1 FROM catalog_item WHERE implementation_code = :c AND published",
                c=code,
            ),
            f"catalog.item.published of {code} at application",
        )
        await eventually(
            lambda: sql(self.apps["workflow"], "SELECT 1 FROM item_version WHERE implementation_code = :c", c=code),
            f"catalog.item.published of {code} at workflow",
        )

    # -- application

    async def apply(
        self, citizen: dict[str, str], code: str, form: dict[str, Any], materials: list[str]
    ) -> dict[str, Any]:
        """Draft, upload every material, submit; the submitted application."""
        created = await self.application.post(
            "/v1/applications",
            json={"item_code": code, "applicant": {"name": "张三", "id_number": ID_NUMBER}, "form": form},
            headers={**citizen, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        for name in materials:
            await self.upload(citizen, app_id, name)
        review = await self.application.get(f"/v1/applications/{app_id}/pre-review", headers=citizen)
        assert review.status_code == 200 and review.json()["ok"] is True, review.text
        submitted = await self.application.post(
            f"/v1/applications/{app_id}/submit", json={}, headers={**citizen, "Idempotency-Key": uuid.uuid4().hex}
        )
        assert submitted.status_code == 200, submitted.text
        body: dict[str, Any] = submitted.json()
        assert body["status"] == "submitted" and body["tracking_number"]
        return body

    async def upload(self, citizen: dict[str, str], app_id: str, name: str) -> dict[str, Any]:
        resp = await self.application.post(
            f"/v1/applications/{app_id}/materials",
            data={"name": name},
            files={"file": ("material.pdf", PDF, "application/octet-stream")},
            headers=citizen,
        )
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def application_in(self, citizen: dict[str, str], app_id: str, status: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            resp = await self.application.get(f"/v1/applications/{app_id}", headers=citizen)
            assert resp.status_code == 200, resp.text
            body: dict[str, Any] = resp.json()
            return body if body["status"] == status else None

        return await eventually(probe, f"application {app_id} {status}")

    # -- workflow

    async def task(self, staff: dict[str, str], tracking_number: str, kind: str) -> dict[str, Any]:
        """The open task of ``kind`` for the case, as it appears in the staff member's inbox."""

        async def probe() -> dict[str, Any] | None:
            resp = await self.workflow.get("/v1/tasks", params={"status": "open"}, headers=staff)
            assert resp.status_code == 200, resp.text
            return next(
                (t for t in resp.json()["items"] if t["tracking_number"] == tracking_number and t["kind"] == kind),
                None,
            )

        return await eventually(probe, f"an open {kind} task of {tracking_number} in the inbox")

    async def act(self, staff: dict[str, str], tracking_number: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Claim the case's open task of ``kind`` from the inbox and complete it; the case as it now stands."""
        task = await self.task(staff, tracking_number, kind)
        claimed = await self.workflow.post(f"/v1/tasks/{task['id']}/claim", headers=staff)
        assert claimed.status_code == 200, claimed.text
        done = await self.workflow.post(f"/v1/tasks/{task['id']}/complete", json=body, headers=staff)
        assert done.status_code == 200, done.text
        return dict(done.json())

    async def case_in(self, staff: dict[str, str], case_id: str, status: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            resp = await self.workflow.get(f"/v1/cases/{case_id}", headers=staff)
            assert resp.status_code == 200, resp.text
            body: dict[str, Any] = resp.json()
            return body if body["status"] == status else None

        return await eventually(probe, f"case {case_id} {status}")


@asynccontextmanager
async def platform(
    pg_admin_dsn: str, kafka_bootstrap: str, tmp_path: Path, *, with_payment: bool = False
) -> AsyncIterator[Platform]:
    await skip_stale_events(
        kafka_bootstrap, {g: t for g, t in GROUPS.items() if with_payment or not g.startswith("payment.")}
    )
    issuer = TestIssuer()
    common: dict[str, Any] = {
        "environment": "test",
        "event_bus": "kafka",
        "kafka_bootstrap_servers": kafka_bootstrap,
        "outbox_poll_seconds": 0.1,
        "consumer_retry_backoff_seconds": 0.1,
        "log_json": False,
    }
    apps: dict[str, FastAPI] = {}
    clients: dict[str, httpx.AsyncClient] = {}
    async with AsyncExitStack() as stack:

        async def database() -> str:
            return await stack.enter_async_context(fresh_pg_database(pg_admin_dsn))

        apps["catalog"] = catalog.main.create_app(
            catalog.settings.Settings(data_dir=tmp_path / "catalog", database_url=await database(), **common)
        )
        apps["application"] = application.main.create_app(
            application.settings.Settings(
                data_dir=tmp_path / "application",
                database_url=await database(),
                certificates_url="",  # no e-license lookup: every material is uploaded
                **common,
            )
        )
        apps["workflow"] = workflow.main.create_app(
            workflow.settings.Settings(
                data_dir=tmp_path / "workflow", database_url=await database(), sla_sweep_enabled=False, **common
            )
        )
        for name in ("catalog", "application", "workflow"):
            issuer.install(apps[name])
            clients[name] = await stack.enter_async_context(serve_lifespan(apps[name]))
        if with_payment:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            apps["payment"] = payment.main.create_app(
                payment.settings.Settings(
                    data_dir=tmp_path / "payment",
                    database_url=await database(),
                    sandbox_enabled=True,
                    notify_base_url=base,
                    return_url=f"{base}/done",
                    sandbox_base_url=f"{base}/sandbox-channel",
                    public_base_url=base,
                    sandbox_notify_backoff_seconds=0.05,
                    worker_enabled=False,
                    **common,
                )
            )
            issuer.install(apps["payment"])
            clients["payment"] = await stack.enter_async_context(on_uvicorn(apps["payment"], port))
        yield Platform(issuer=issuer, apps=apps, clients=clients)


# ---------------------------------------------------------------- test 1: the supplement loop


def food_form() -> dict[str, Any]:
    return {
        "enterprise_name": "南宁市青秀区示例餐饮店",
        "credit_code": "92450103MA5N8K2X3Q",
        "legal_representative": "张某某",
        "phone": "13800000000",
        "business_address": "南宁市青秀区民族大道1号",
        "food_business_category": "餐饮服务",
    }


async def test_supplement_loop_end_to_end_with_the_workflow_service(
    pg_admin_dsn: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    doc = seed_document()
    province_food = copy.deepcopy(item_definition(next(i for i in doc["items"] if i["basic_code"] == FOOD), doc))
    raw = next(i for i in doc["implementations"] if i["inherits"] == FOOD and i["region"] == NANNING)
    _, nanning_food = implementation_definition(raw, doc)
    assert province_food["fees"] == [] and nanning_food["department"]["code"] == NN_MARKET
    required = [m["name"] for m in nanning_food["materials"] if m["required"]]

    async with platform(pg_admin_dsn, kafka_bootstrap, tmp_path) as gov:
        parent = await gov.publish_item(province_food, region=PROVINCE, department=PROVINCE_MARKET)
        code = await gov.publish_item(nanning_food, region=NANNING, department=NN_MARKET, inherits=parent)
        await gov.item_known(code)

        citizen = gov.citizen("citizen-loop-1")
        app = await gov.apply(citizen, code, food_form(), required)
        app_id, tracking = app["id"], app["tracking_number"]

        acceptor = gov.staff("acceptor-1", "acceptor", region=NANNING, department=NN_MARKET)
        reviewer = gov.staff("reviewer-1", "reviewer", region=NANNING, department=NN_MARKET)
        approver = gov.staff("approver-1", "approver", region=NANNING, department=NN_MARKET)

        # The workflow opened a case and routed its accept task to the item's department.
        task = await gov.task(acceptor, tracking, "accept")
        assert (task["department"], task["region"], task["role"]) == (NN_MARKET, NANNING, "acceptor")
        case_id = task["case_id"]
        opened = await gov.case_in(acceptor, case_id, "accepting")
        assert opened["application_id"] == app_id and opened["item_code"] == code
        assert {m["name"] for m in opened["applicant"]["materials"]} == set(required)

        # 补正: the acceptor asks for a clearer business licence.
        missing = [{"material": "营业执照", "reason": "营业执照复印件不清晰"}]
        asked = await gov.act(
            acceptor,
            tracking,
            "accept",
            {"action": "request_supplement", "opinion": "请补正营业执照", "missing": missing},
        )
        assert asked["status"] == "supplementing" and asked["clock_stopped"] is True

        # The application shows what was asked.
        seen = await gov.application_in(citizen, app_id, "supplement_requested")
        assert seen["case_id"] == case_id
        request = seen["supplement_request"]
        assert request["missing"] == missing and request["note"] == "请补正营业执照" and request["round"] == 1

        # The citizen uploads it again and resubmits.
        upload = await gov.upload(citizen, app_id, "营业执照")
        assert upload["round"] == 1
        resp = await gov.application.post(f"/v1/applications/{app_id}/supplement", json={}, headers=citizen)
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == "supplemented"

        # The workflow restarts acceptance with the new material.
        restarted = await gov.case_in(acceptor, case_id, "accepting")
        assert restarted["clock_stopped"] is False
        licence = next(m for m in restarted["applicant"]["materials"] if m["name"] == "营业执照")
        assert licence["sha256"] == upload["sha256"]

        accepted = await gov.act(acceptor, tracking, "accept", {"action": "accept", "opinion": "予以受理"})
        assert accepted["status"] == "reviewing"
        await gov.application_in(citizen, app_id, "accepted")
        reviewed = await gov.act(reviewer, tracking, "review", {"action": "complete", "opinion": "审查通过"})
        assert reviewed["status"] == "deciding"
        approved = await gov.act(approver, tracking, "decide", {"action": "approve", "opinion": "准予许可"})
        assert approved["status"] == "delivering" and approved["decision"] == "approved"
        await gov.application_in(citizen, app_id, "approved")
        delivered = await gov.act(acceptor, tracking, "deliver", {"action": "complete", "opinion": "已送达"})
        assert delivered["status"] == "completed"

        done = await gov.application_in(citizen, app_id, "completed")
        assert done["case_id"] == case_id
        history = (await gov.application.get(f"/v1/applications/{app_id}/history", headers=citizen)).json()["items"]
        assert [h["status"] for h in history] == [
            "draft",
            "submitted",
            "supplement_requested",
            "supplemented",
            "accepted",
            "approved",
            "completed",
        ]
        trace = (await gov.workflow.get(f"/v1/cases/{case_id}/trace", headers=acceptor)).json()
        actions = [e["action"] for e in trace["entries"]]
        assert actions.index("request_supplement") < actions.index("supplemented") < actions.index("accept")
        verified = (await gov.workflow.get(f"/v1/cases/{case_id}/trace/verification", headers=acceptor)).json()
        assert verified["valid"] is True


# ---------------------------------------------------------------- test 2: fees, payment, and on


async def test_the_workflow_continues_after_payment_order_paid(
    pg_admin_dsn: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    doc = seed_document()
    renewal = copy.deepcopy(item_definition(next(i for i in doc["items"] if i["basic_code"] == LICENCE_RENEWAL), doc))
    assert renewal["fees"] and renewal["department"]["code"] == PROVINCE_POLICE
    fee_fen = sum(f["amount_fen"] for f in renewal["fees"])
    required = [m["name"] for m in renewal["materials"] if m["required"]]
    form = {
        "applicant_name": "张三",
        "id_number": ID_NUMBER,
        "phone": "13800000002",
        "driving_licence_number": "450103199001011234",
    }

    async with platform(pg_admin_dsn, kafka_bootstrap, tmp_path, with_payment=True) as gov:
        code = await gov.publish_item(renewal, region=PROVINCE, department=PROVINCE_POLICE)
        await gov.item_known(code)

        citizen_subject = "citizen-pay-1"
        citizen = gov.citizen(citizen_subject)
        app = await gov.apply(citizen, code, form, required)
        app_id, tracking = app["id"], app["tracking_number"]

        def staff(role: str) -> dict[str, str]:
            return gov.staff(f"{role}-police", role, region=PROVINCE, department=PROVINCE_POLICE)

        accepted = await gov.act(staff("acceptor"), tracking, "accept", {"action": "accept", "opinion": "予以受理"})
        case_id = accepted["id"]
        await gov.act(staff("reviewer"), tracking, "review", {"action": "complete", "opinion": "审查通过"})
        decided = await gov.act(staff("approver"), tracking, "decide", {"action": "approve", "opinion": "准予换证"})
        assert decided["status"] == "paying" and decided["clock_stopped"] is True
        await gov.application_in(citizen, app_id, "accepted")

        # workflow.case.fee_requested → payment creates the order for the applicant.
        async def order_of_case() -> dict[str, Any] | None:
            resp = await gov.payment.get("/v1/orders", params={"case_id": case_id}, headers=citizen)
            assert resp.status_code == 200, resp.text
            items = resp.json()["items"]
            return items[0] if items else None

        order = await eventually(order_of_case, "the order from workflow.case.fee_requested")
        assert order["amount_fen"] == fee_fen and order["status"] == "created"

        # The citizen pays through the sandbox channel's pay page.
        started = await gov.payment.post(
            f"/v1/orders/{order['id']}/payments", json={"channel": "sandbox"}, headers=citizen
        )
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "pending"
        async with httpx.AsyncClient(timeout=30) as browser:
            page = await browser.get(started.json()["pay_url"])
            assert page.status_code == 200 and "<form" in page.text
            await browser.post(started.json()["pay_url"], data={"action": "pay"})

        async def paid() -> dict[str, Any] | None:
            resp = await gov.payment.get(f"/v1/orders/{order['id']}", headers=citizen)
            body: dict[str, Any] = resp.json()
            return body if body["status"] == "paid" else None

        await eventually(paid, "the order paid")

        # payment.order.paid → the workflow announces the approval and opens delivery.
        delivering = await gov.case_in(staff("acceptor"), case_id, "delivering")
        assert delivering["clock_stopped"] is False and delivering["decision"] == "approved"
        await gov.application_in(citizen, app_id, "approved")
        trace = (await gov.workflow.get(f"/v1/cases/{case_id}/trace", headers=staff("acceptor"))).json()
        paid_entry = next(e for e in trace["entries"] if e["action"] == "paid")
        assert paid_entry["details"]["order_id"] == order["id"]

        delivered = await gov.act(staff("acceptor"), tracking, "deliver", {"action": "complete", "opinion": "已邮寄"})
        assert delivered["status"] == "completed"
        await gov.application_in(citizen, app_id, "completed")
        history = (await gov.application.get(f"/v1/applications/{app_id}/history", headers=citizen)).json()["items"]
        assert [h["status"] for h in history] == ["draft", "submitted", "accepted", "approved", "completed"]
