"""Event handlers: ``workflow.case.completed`` makes a case ratable (our copy of who applied, who handled
it, which department, region and item); ``catalog.item.published``/``withdrawn`` keep our copy of which
department implements an item where (consultation routing). Other events on those topics are not ours."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.events import (
    CASE_COMPLETED,
    ITEM_PUBLISHED,
    ITEM_WITHDRAWN,
    CaseCompleted,
    ItemPublished,
    ItemWithdrawn,
)
from evaluation.models import EvaluatedCase, ServiceItem
from gov_common.events import CloudEvent
from gov_standards.china_time import utcnow

log = logging.getLogger(__name__)


class MalformedEvent(ValueError):
    """The event does not follow the agreed schema; it goes to the dead-letter topic."""


async def on_case_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type != CASE_COMPLETED:
        return
    try:
        done = CaseCompleted.model_validate(event.data)
    except ValidationError as exc:
        raise MalformedEvent(f"{CASE_COMPLETED} {event.id}: {exc.error_count()} invalid field(s)") from exc
    case = await session.get(EvaluatedCase, done.case_id, with_for_update=True)
    if case is None:
        case = EvaluatedCase(case_id=done.case_id)
        session.add(case)
    case.application_id, case.tracking_number = done.application_id, done.tracking_number
    case.item_code, case.item_name = done.item_code, done.item_name
    case.region, case.department = done.region[:6], done.department
    case.applicant_subject, case.applicant_kind = done.applicant.subject, done.applicant.kind
    case.applicant_enterprise = done.applicant.enterprise
    case.handled_by, case.result = sorted(set(done.handled_by)), done.result
    case.completed_at, case.received_at = done.completed_at, utcnow()
    log.info("case %s completed: ratable", done.case_id)


async def on_item_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type not in (ITEM_PUBLISHED, ITEM_WITHDRAWN):
        return  # bundles are not rated on their own
    try:
        model = ItemPublished if event.type == ITEM_PUBLISHED else ItemWithdrawn
        parsed = model.model_validate(event.data)
    except ValidationError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: {exc.error_count()} invalid field(s)") from exc
    item = await session.get(ServiceItem, parsed.implementation_code, with_for_update=True)
    if item is not None and item.version > parsed.version:
        return  # an older version arriving late changes nothing
    if isinstance(parsed, ItemWithdrawn):
        if item is not None:
            item.withdrawn, item.version = True, parsed.version
        return
    d = parsed.definition
    if item is None:
        item = ServiceItem(implementation_code=parsed.implementation_code)
        session.add(item)
    item.basic_code, item.name, item.region = d.basic_code, d.name, d.region[:6]
    item.department, item.department_name = d.department.code, d.department.name
    item.version, item.withdrawn = parsed.version, False
