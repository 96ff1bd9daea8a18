"""Handlers of consumed events (each runs once per event id, in its own transaction):
catalog items feed the incremental catalog pull; case, license and rating events feed the province's
case statistics, webhook deliveries and the rows of upward national batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.inbound.service import PROVINCE_SOURCE, upsert_case
from exchange.models import CatalogChange, NationalRow
from exchange.webhooks.service import fan_out
from gov_common.events import CloudEvent

# workflow.case.<x> -> the status the province's case record takes
CASE_STATUS = {
    "workflow.case.accepted": "accepted",
    "workflow.case.refused": "refused",
    "workflow.case.supplement_requested": "supplement_requested",
    "workflow.case.approved": "approved",
    "workflow.case.rejected": "rejected",
    "workflow.case.completed": "completed",
    "workflow.case.withdrawn": "withdrawn",
}


def _time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return fallback


async def _national(
    session: AsyncSession, event: CloudEvent, dataset: str, operation: str, record: dict[str, Any], source: str
) -> None:
    session.add(
        NationalRow(
            dataset=dataset,
            operation=operation,
            occurred_at=event.time,
            source=source,
            record=record,
            event_id=event.id,
        )
    )


def _item_projection(data: dict[str, Any]) -> dict[str, Any]:
    """What integrators need of a published item (the internal process template stays out)."""
    definition = {k: v for k, v in (data.get("definition") or {}).items() if k != "process"}
    return {
        "implementation_code": data["implementation_code"],
        "version": data["version"],
        "online_level": data.get("online_level"),
        "fully_online": data.get("fully_online"),
        "inherits": data.get("inherits"),
        "published_at": data.get("published_at"),
        "definition": definition,
    }


async def on_catalog(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    if event.type == "catalog.item.published":
        item = _item_projection(data)
        region = str(item["definition"].get("region", ""))
        operation, national_op = "published", ("insert" if data["version"] == 1 else "update")
    elif event.type == "catalog.item.withdrawn":
        item = {"implementation_code": data["implementation_code"], "version": data["version"]}
        region = str(data["region"])
        operation, national_op = "withdrawn", "delete"
    else:
        return  # bundles are not part of the exchange catalog yet
    session.add(
        CatalogChange(
            implementation_code=data["implementation_code"],
            region=region,
            operation=operation,
            version=int(data["version"]),
            item=item,
            changed_at=_time(data.get("published_at") or data.get("withdrawn_at"), event.time),
            event_id=event.id,
        )
    )
    await _national(session, event, "item", national_op, item, event.source)
    await fan_out(session, event)


async def on_case(session: AsyncSession, event: CloudEvent) -> None:
    status = CASE_STATUS.get(event.type)
    if status is None:
        return  # fee requests and SLA events are not exchanged
    data = event.data
    occurred = _time(data.get("occurred_at"), event.time)
    department = data.get("department")
    if isinstance(department, dict):
        department = department.get("code")
    await upsert_case(
        session,
        source=PROVINCE_SOURCE,
        origin=None,  # the province's own cases are already workflow events
        external_id=str(data["case_id"]),
        fields={
            "tracking_number": data.get("tracking_number"),
            "item_code": str(data.get("item_code", "")),
            "item_name": data.get("item_name"),
            "region": str(data.get("region", "")),
            "department": department,
            "status": status,
            "status_at": occurred,
            "received_at": occurred,
        },
    )
    dataset = {"accepted": "case_accept", "completed": "case_result", "rejected": "case_result"}.get(
        status, "case_process"
    )
    # Only what the national case tables carry: no applicant subject.
    record = {k: v for k, v in data.items() if k != "applicant"}
    record["status"] = status
    await _national(session, event, dataset, "insert" if status == "accepted" else "update", record, event.source)
    await fan_out(session, event)


async def on_license(session: AsyncSession, event: CloudEvent) -> None:
    data = event.data
    if event.type == "certificates.license.issued":
        record = {k: v for k, v in data.items() if k != "holder"}
        record["holder_name_masked"] = (data.get("holder") or {}).get("name_masked")
        await _national(session, event, "license", "insert", record, event.source)
    elif event.type == "certificates.license.revoked":
        await _national(session, event, "license", "delete", dict(data), event.source)
    await fan_out(session, event)


async def on_rating(session: AsyncSession, event: CloudEvent) -> None:
    if event.type == "evaluation.rating.submitted":
        await _national(session, event, "rating", "insert", dict(event.data), event.source)
    await fan_out(session, event)
