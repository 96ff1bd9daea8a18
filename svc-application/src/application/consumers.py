"""Event handlers: our copy of the catalog's items, and the status the workflow reports for each case."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from application.applications import service
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
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


async def case_changed(session: AsyncSession, event: CaseEvent, envelope: CloudEvent) -> None:
    changed = await service.apply_case_event(session, case=event, actor=f"event:{envelope.source}")
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
