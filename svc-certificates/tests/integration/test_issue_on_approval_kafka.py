"""On the production shape (PostgreSQL + Kafka): catalog.item.published and workflow.case.approved,
published on real Kafka as the catalog and the workflow would, make a sealed license for the holder
(citizen resolved through identity, enterprise from the event), once, and certificates.license.issued
leaves through the outbox with a payload that validates against its schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from certificates.models import License
from gov_common.bus.kafka import KafkaBus
from gov_common.events import CloudEvent
from gov_common.messaging import outbox_event
from gov_common.testing import TestIssuer, serve_lifespan
from gov_contracts import testing
from gov_contracts.catalog import ItemPublished
from gov_contracts.certificates import LicenseIssued
from gov_contracts.workflow import CaseApproved

from ..conftest import DEPT, ENTERPRISE, IdentityStub


def approved(case_id: str, item_code: str, applicant: dict[str, Any], fields: dict[str, Any]) -> CloudEvent:
    data = {
        "case_id": case_id,
        "application_id": str(uuid.uuid4()),
        "tracking_number": "GX" + case_id[:8],
        "item_code": item_code,
        "item_name": "食品经营许可",
        "region": "450100",
        "department": DEPT,
        "applicant": applicant,
        "occurred_at": "2026-11-27T10:00:00+08:00",
        "decided_by": "staff-7",
        "opinion": "同意",
        "decided_at": "2026-11-27T10:00:00+08:00",
        "result_license_type": None,
        "license_fields": fields,
        "holder": {
            "id_type": "credit_code" if applicant["kind"] == "enterprise" else "citizen_id",
            "id_hash": None,
            "name": "南宁示例餐饮店",
        },
    }
    return testing.envelope(CaseApproved.model_validate(data))


async def test_issue_on_approval_through_kafka(
    pg_url: str,
    kafka_bootstrap: str,
    app_factory: Callable[..., FastAPI],
    identity: IdentityStub,
    issuer: TestIssuer,
) -> None:
    prefix = f"test.{uuid.uuid4().hex[:8]}."  # this test's own copy of every contract topic
    catalog_topic, workflow_topic = prefix + ItemPublished.topic, prefix + CaseApproved.topic
    app = app_factory(
        database_url=pg_url,
        event_bus="kafka",
        kafka_bootstrap_servers=kafka_bootstrap,
        topic_prefix=prefix,
        consumer_max_attempts=2,
        consumer_retry_backoff_seconds=0.05,
    )
    item_code = "000112004000" + uuid.uuid4().hex[:6]
    definition = testing.item_definition(
        name="食品经营许可",
        department={"code": DEPT, "name": "南宁市市场监督管理局"},
        result_license_type="食品经营许可证",
        region="450100",
    )
    published = testing.envelope(testing.item_published(definition, code=item_code))
    firm_case, person_case = str(uuid.uuid4()), str(uuid.uuid4())
    firm = approved(
        firm_case,
        item_code,
        {"subject": "agent-1", "kind": "enterprise", "enterprise": ENTERPRISE},
        {"operator_name": "南宁示例餐饮店"},
    )
    person = approved(
        person_case,
        item_code,
        {"subject": "citizen-1", "kind": "citizen", "enterprise": None},
        {"operator_name": "李四小吃"},
    )
    standin = KafkaBus(kafka_bootstrap, client_id="catalog-workflow-standin")
    await standin.start()
    try:
        await standin.publish(catalog_topic, [published])
        await asyncio.sleep(0.5)
        async with serve_lifespan(app) as client:
            await asyncio.sleep(1)  # the item read model first (different topics keep no mutual order)
            await standin.publish(workflow_topic, [firm, person, firm])  # a duplicated delivery
            db = app.state.runtime.db
            rows: list[License] = []
            of_cases = sa.select(License).where(License.case_id.is_not(None))  # not the demo citizen's licence
            for _ in range(600):  # up to 60 s: a consumer group joining on a loaded broker
                async with db.transaction() as session:
                    rows = list(await session.scalars(of_cases))
                if len(rows) == 2:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            await app.state.runtime.relay.drain()
            async with db.transaction() as session:
                rows = list(await session.scalars(of_cases.order_by(License.issued_at)))
                ours = [str(r.id) for r in rows]
                issued = list(
                    (
                        await session.execute(
                            sa.select(outbox_event).where(
                                outbox_event.c.type == LicenseIssued.type, outbox_event.c.subject.in_(ours)
                            )
                        )
                    ).all()
                )
            by_case = {r.case_id: r for r in rows}
            assert set(by_case) == {firm_case, person_case}
            assert by_case[firm_case].holder_id_type == "credit_code" and by_case[firm_case].holder_subject is None
            assert by_case[person_case].holder_id_type == "citizen_id" and by_case[person_case].holder_name == "李四"
            assert by_case[person_case].issuer_name == "南宁市市场监督管理局"
            assert set(identity.reads) == {"citizen-1"}
            assert len(issued) == 2 and all(r.published_at is not None for r in issued)
            for row in issued:
                data = LicenseIssued.model_validate(row.data)
                assert data.type_name == "食品经营许可证" and data.issuer.code == DEPT and data.region == "450100"
                assert "11010519491231002X" not in str(row.data)
            wallet = await client.get("/v1/wallet/licenses", headers=issuer.headers("citizen-1", kind="citizen"))
            assert [x["fields"]["operator_name"] for x in wallet.json()["items"]] == ["李四小吃"]
            verdict = await client.get(f"/v1/verify/{by_case[person_case].identifier}")
            assert verdict.json()["result"] == "authentic"
    finally:
        await standin.stop()
