"""Event handlers: ``workflow.case.completed`` makes a case ratable (our copy of who applied, who handled
it, which department, region and item); ``catalog.item.published``/``withdrawn`` keep our copy of which
department implements an item where (consultation routing). Bundles are not rated on their own."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.models import EvaluatedCase, ServiceItem
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.workflow import CaseCompleted
from gov_standards.china_time import utcnow

log = logging.getLogger(__name__)

CASES = EventHandlers(group="evaluation.cases")
ITEMS = EventHandlers(group="evaluation.items")


@CASES.on(CaseCompleted)
async def case_completed(session: AsyncSession, done: CaseCompleted, envelope: CloudEvent) -> None:
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


async def _current(session: AsyncSession, code: str, version: int) -> tuple[ServiceItem | None, bool]:
    """Our copy of item ``code`` (locked) and whether an event of ``version`` is older than it."""
    item = await session.get(ServiceItem, code, with_for_update=True)
    return item, item is not None and item.version > version


@ITEMS.on(ItemPublished)
async def item_published(session: AsyncSession, published: ItemPublished, envelope: CloudEvent) -> None:
    item, stale = await _current(session, published.implementation_code, published.version)
    if stale:
        return  # an older version arriving late changes nothing
    d = published.definition
    if item is None:
        item = ServiceItem(implementation_code=published.implementation_code)
        session.add(item)
    item.basic_code, item.name, item.region = d.basic_code, d.name, d.region[:6]
    item.department, item.department_name = d.department.code, d.department.name
    item.version, item.withdrawn = published.version, False


@ITEMS.on(ItemWithdrawn)
async def item_withdrawn(session: AsyncSession, withdrawn: ItemWithdrawn, envelope: CloudEvent) -> None:
    item, stale = await _current(session, withdrawn.implementation_code, withdrawn.version)
    if item is not None and not stale:
        item.withdrawn, item.version = True, withdrawn.version
