"""Handlers of consumed events, one consumer group per publisher (each event handled once per id, in its
handler's transaction): catalog items feed the incremental catalog pull; case, license and rating events
feed the province's case statistics, webhook deliveries and the rows of upward national batches;
supervision orders on a case a city platform pushed are delivered to that platform's webhooks only; a 12345
work order forwarded to a city goes to that city's platform only (exchange.hotline.service). Types
of these topics without a handler here (bundles, fees, SLA, rectifications) are not exchanged."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exchange.hotline import service as hotline
from exchange.inbound.service import PROVINCE_SOURCE, upsert_case
from exchange.models import CatalogChange, NationalRow
from exchange.webhooks.service import fan_out
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.certificates import LicenseIssued, LicenseRevoked
from gov_contracts.evaluation import RatingSubmitted
from gov_contracts.hotline import OrderForwarded
from gov_contracts.workflow import (
    CaseAccepted,
    CaseApproved,
    CaseCompleted,
    CaseEvent,
    CaseRefused,
    CaseRejected,
    CaseWithdrawn,
    SupervisionOrderEscalated,
    SupervisionOrderEvent,
    SupervisionOrderIssued,
    SupervisionOrderReplied,
    SupplementRequested,
)

on_catalog = EventHandlers(group="exchange.catalog")
on_case = EventHandlers(group="exchange.cases")
on_license = EventHandlers(group="exchange.licenses")
on_rating = EventHandlers(group="exchange.ratings")
on_supervision = EventHandlers(group="exchange.supervision")
on_hotline = EventHandlers(group="exchange.hotline")
HANDLERS = (on_catalog, on_case, on_license, on_rating, on_supervision, on_hotline)

# The status a province case record takes on each workflow event.
CASE_STATUS: dict[type[CaseEvent], str] = {
    CaseAccepted: "accepted",
    CaseRefused: "refused",
    SupplementRequested: "supplement_requested",
    CaseApproved: "approved",
    CaseRejected: "rejected",
    CaseCompleted: "completed",
    CaseWithdrawn: "withdrawn",
}
# The national case table each status goes to (the others: case_process).
CASE_DATASET = {"accepted": "case_accept", "completed": "case_result", "rejected": "case_result"}


def _national(
    session: AsyncSession, envelope: CloudEvent, dataset: str, operation: str, record: dict[str, Any]
) -> None:
    session.add(
        NationalRow(
            dataset=dataset,
            operation=operation,
            occurred_at=envelope.time,
            source=envelope.source,
            record=record,
            event_id=envelope.id,
        )
    )


def _published(envelope: CloudEvent, *personal: str) -> dict[str, Any]:
    """The record as its publisher sent it, without the ``personal`` fields: upward rows copy what was
    published (checked against its contract by now), not exchange's reading of it."""
    return {k: v for k, v in envelope.data.items() if k not in personal}


@on_catalog.on(ItemPublished)
async def item_published(session: AsyncSession, event: ItemPublished, envelope: CloudEvent) -> None:
    data = event.to_data()
    # what integrators need of a published item: the internal process template stays out
    data["definition"].pop("process", None)
    item = {k: data[k] for k in ("implementation_code", "version", "online_level", "fully_online", "inherits")}
    item |= {"published_at": data["published_at"], "definition": data["definition"]}
    session.add(
        CatalogChange(
            implementation_code=event.implementation_code,
            region=event.definition.region,
            operation="published",
            version=event.version,
            item=item,
            changed_at=event.published_at,
            event_id=envelope.id,
        )
    )
    _national(session, envelope, "item", "insert" if event.version == 1 else "update", item)
    await fan_out(session, envelope)


@on_catalog.on(ItemWithdrawn)
async def item_withdrawn(session: AsyncSession, event: ItemWithdrawn, envelope: CloudEvent) -> None:
    item = {"implementation_code": event.implementation_code, "version": event.version}
    session.add(
        CatalogChange(
            implementation_code=event.implementation_code,
            region=event.region,
            operation="withdrawn",
            version=event.version,
            item=item,
            changed_at=event.withdrawn_at,
            event_id=envelope.id,
        )
    )
    _national(session, envelope, "item", "delete", item)
    await fan_out(session, envelope)


async def case_changed(session: AsyncSession, event: CaseEvent, envelope: CloudEvent) -> None:
    status = CASE_STATUS[type(event)]
    await upsert_case(
        session,
        source=PROVINCE_SOURCE,
        origin=None,  # the province's own cases are already workflow events
        external_id=event.case_id,
        fields={
            "tracking_number": event.tracking_number,
            "item_code": event.item_code,
            "item_name": event.item_name,
            "region": event.region,
            "department": event.department,
            "status": status,
            "status_at": event.occurred_at,
            "received_at": event.occurred_at,
        },
    )
    # only what the national case tables carry: no applicant
    record = _published(envelope, "applicant") | {"status": status}
    operation = "insert" if status == "accepted" else "update"
    _national(session, envelope, CASE_DATASET.get(status, "case_process"), operation, record)
    await fan_out(session, envelope)


for _model in CASE_STATUS:
    on_case.on(_model)(case_changed)


@on_license.on(LicenseIssued)
async def license_issued(session: AsyncSession, event: LicenseIssued, envelope: CloudEvent) -> None:
    record = _published(envelope, "holder") | {"holder_name_masked": event.holder.name_masked}
    _national(session, envelope, "license", "insert", record)
    await fan_out(session, envelope)


@on_license.on(LicenseRevoked)
async def license_revoked(session: AsyncSession, event: LicenseRevoked, envelope: CloudEvent) -> None:
    _national(session, envelope, "license", "delete", _published(envelope))
    await fan_out(session, envelope)


@on_rating.on(RatingSubmitted)
async def rating_submitted(session: AsyncSession, event: RatingSubmitted, envelope: CloudEvent) -> None:
    _national(session, envelope, "rating", "insert", _published(envelope))
    await fan_out(session, envelope)


async def order_changed(session: AsyncSession, event: SupervisionOrderEvent, envelope: CloudEvent) -> None:
    """Tell the platform that pushed the case; orders on the province's own cases or on a department's work
    are nobody's outside the platform."""
    if event.case is None or event.case.kind != "external_case" or not event.case.source:
        return
    await fan_out(session, envelope, only_system=event.case.source)


for _order_model in (SupervisionOrderIssued, SupervisionOrderEscalated, SupervisionOrderReplied):
    on_supervision.on(_order_model)(order_changed)


@on_hotline.on(OrderForwarded)
async def order_forwarded(session: AsyncSession, event: OrderForwarded, envelope: CloudEvent) -> None:
    await hotline.forwarded(session, event, envelope)
