"""Event handlers: our copy of the catalog's items and one-thing bundles, and the status the workflow reports
for each case (and, through it, the bundle application a case is one part of)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from application.applications import service
from application.bundles import service as bundles
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.catalog import BundlePublished, BundleWithdrawn, ItemPublished, ItemWithdrawn
from gov_contracts.workflow import (
    CaseAccepted,
    CaseApproved,
    CaseCompleted,
    CaseEvent,
    CaseRefused,
    CaseRejected,
    CaseWithdrawn,
    SupplementRequested,
)

log = logging.getLogger(__name__)

ITEMS = EventHandlers(group="application.catalog-items")
CASES = EventHandlers(group="application.case-status")


@ITEMS.on(ItemPublished)
async def item_published(session: AsyncSession, event: ItemPublished, envelope: CloudEvent) -> None:
    await service.upsert_item(session, event)


@ITEMS.on(ItemWithdrawn)
async def item_withdrawn(session: AsyncSession, event: ItemWithdrawn, envelope: CloudEvent) -> None:
    await service.withdraw_item(session, event)


@ITEMS.on(BundlePublished)
async def bundle_published(session: AsyncSession, event: BundlePublished, envelope: CloudEvent) -> None:
    await bundles.upsert_bundle(session, event)


@ITEMS.on(BundleWithdrawn)
async def bundle_withdrawn(session: AsyncSession, event: BundleWithdrawn, envelope: CloudEvent) -> None:
    await bundles.withdraw_bundle(session, event)


async def case_changed(session: AsyncSession, event: CaseEvent, envelope: CloudEvent) -> None:
    changed = await service.apply_case_event(session, case=event, actor=f"event:{envelope.source}")
    if changed:
        try:
            await bundles.part_changed(session, application_id=uuid.UUID(event.application_id))
        except ValueError:
            pass  # a malformed id: apply_case_event logged it and changed nothing
    log.info(
        "%s %s for application %s: %s",
        event.type,
        envelope.id,
        event.application_id,
        "applied" if changed else "ignored",
    )


# The case events that move an application (domain.WORKFLOW_STATUS); fee requests and SLA events are not ours.
for _model in (
    CaseAccepted,
    CaseRefused,
    SupplementRequested,
    CaseApproved,
    CaseRejected,
    CaseCompleted,
    CaseWithdrawn,
):
    CASES.on(_model)(case_changed)
