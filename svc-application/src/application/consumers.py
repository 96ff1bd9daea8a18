"""Event handlers: our copy of the catalog's items, and the status the workflow reports for each case."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from application import events as ev
from application.applications import service
from application.domain import WORKFLOW_STATUS
from gov_common.events import CloudEvent

log = logging.getLogger(__name__)

CATALOG_GROUP = "application.catalog-items"
WORKFLOW_GROUP = "application.case-status"


class MalformedEvent(ValueError):
    """The event does not follow the documented schema; after the retries it goes to the dead-letter topic."""


async def on_catalog_item(session: AsyncSession, event: CloudEvent) -> None:
    try:
        if event.type == ev.ITEM_PUBLISHED:
            await service.upsert_item(session, ev.ItemPublishedView.model_validate(event.data))
        elif event.type == ev.ITEM_WITHDRAWN:
            await service.withdraw_item(session, ev.ItemWithdrawnView.model_validate(event.data))
    except ValidationError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: {exc.error_count()} invalid field(s)") from exc


async def on_case_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type not in WORKFLOW_STATUS:
        return  # fee requests, SLA warnings: not ours
    try:
        case = ev.CaseEvent.model_validate(event.data)
    except ValidationError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: {exc.error_count()} invalid field(s)") from exc
    changed = await service.apply_case_event(session, event_type=event.type, case=case, actor=f"event:{event.source}")
    log.info(
        "%s %s for application %s: %s", event.type, event.id, case.application_id, "applied" if changed else "ignored"
    )
