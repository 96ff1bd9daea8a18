"""Event handlers: the item → license type read model (catalog.item.published and .withdrawn), issuing on
workflow.case.approved, and the sealed notices of workflow.case.accepted, .refused and .supplement_requested. Each runs once per event id (inbox) in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.context import Context
from certificates.errors import InvalidFields
from certificates.licenses import service
from certificates.models import ApprovedCase, ItemLicense, License
from certificates.notices import service as notices
from gov_common.events import CloudEvent
from gov_common.service import Subscription
from gov_contracts import EventHandlers
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.workflow import CaseAccepted, CaseApproved, CaseRefused, SupplementRequested

log = logging.getLogger(__name__)


async def on_item_published(session: AsyncSession, data: ItemPublished) -> None:
    row = await session.get(ItemLicense, data.implementation_code)
    if row is not None and row.version > data.version:
        return  # an older version arriving late
    values = {
        "version": data.version,
        "item_name": data.definition.name,
        "department_code": data.definition.department.code,
        "department_name": data.definition.department.name,
        "license_type_name": data.definition.result_license_type,
        "withdrawn_at": None,
    }
    if row is None:
        session.add(ItemLicense(implementation_code=data.implementation_code, **values))
    else:
        for k, v in values.items():
            setattr(row, k, v)


async def on_item_withdrawn(session: AsyncSession, data: ItemWithdrawn) -> None:
    row = await session.get(ItemLicense, data.implementation_code)
    if row is not None and row.version <= data.version:
        row.withdrawn_at = data.withdrawn_at


async def on_case_approved(session: AsyncSession, data: CaseApproved, ctx: Context, *, approved_at: datetime) -> None:
    """Record the approved case (what an approver may later issue for it) and issue its license; when the
    form did not fill the type's required fields, the case waits for its approver (``POST /v1/licenses``)."""
    item = await session.get(ItemLicense, data.item_code)
    type_name = data.result_license_type or (item.license_type_name if item else None)
    if not type_name:
        return  # the item produces no license
    if await session.scalar(sa.select(License.id).where(License.case_id == data.case_id)) is not None:
        return  # already issued for this case (a replayed event under another id)
    dept_code = data.department
    dept_name = item.department_name if item and item.department_code == dept_code else dept_code
    case = await session.get(ApprovedCase, data.case_id)
    if case is None:
        case = ApprovedCase(
            case_id=data.case_id,
            item_code=data.item_code,
            region=data.region,
            department_code=dept_code,
            department_name=dept_name,
            license_type_name=type_name,
            applicant_kind=data.applicant.kind,
            applicant_subject=data.applicant.subject,
            applicant_enterprise=data.applicant.enterprise if data.applicant.kind == "enterprise" else None,
            holder_name=data.holder.name,
            approved_at=approved_at,
        )
        session.add(case)
        await session.flush()
    license_type = await service.type_by_name(session, type_name)
    fields = service.fields_from_case(license_type, data.license_fields)
    try:
        service.check_fields(license_type, fields)
    except InvalidFields:
        log.warning("case %s: the form does not fill %s's fields; its approver issues it", data.case_id, type_name)
        return
    lic = await service.issue_for_case(session, ctx, case=case, license_type=license_type, fields=fields)
    log.info("license %s issued for case %s", lic.id, data.case_id)


def handlers(context: Callable[[], Context]) -> tuple[EventHandlers, EventHandlers]:
    """The two consumer groups, bound to the running service's context (settings, keys, identity client):
    the item → license type read model, and issuing on approval."""
    items = EventHandlers(group="certificates.item-licenses")
    approvals = EventHandlers(group="certificates.issue-on-approval")

    @items.on(ItemPublished)
    async def published(session: AsyncSession, event: ItemPublished, envelope: CloudEvent) -> None:
        await on_item_published(session, event)

    @items.on(ItemWithdrawn)
    async def withdrawn(session: AsyncSession, event: ItemWithdrawn, envelope: CloudEvent) -> None:
        await on_item_withdrawn(session, event)

    @approvals.on(CaseApproved)
    async def approved(session: AsyncSession, event: CaseApproved, envelope: CloudEvent) -> None:
        await on_case_approved(session, event, context(), approved_at=envelope.time)

    return items, approvals


def notice_handlers(context: Callable[[], Context]) -> EventHandlers:
    """Sealing the acceptance step's notices (受理, 不予受理, 补正), one per event."""
    notified = EventHandlers(group="certificates.case-notices")

    @notified.on(CaseAccepted)
    async def accepted(session: AsyncSession, event: CaseAccepted, envelope: CloudEvent) -> None:
        await notices.issue_for_event(session, context(), event)

    @notified.on(CaseRefused)
    async def refused(session: AsyncSession, event: CaseRefused, envelope: CloudEvent) -> None:
        await notices.issue_for_event(session, context(), event)

    @notified.on(SupplementRequested)
    async def supplement(session: AsyncSession, event: SupplementRequested, envelope: CloudEvent) -> None:
        await notices.issue_for_event(session, context(), event)

    return notified


def subscriptions(context: Callable[[], Context]) -> tuple[Subscription, ...]:
    items, approvals = handlers(context)
    notified = notice_handlers(context)
    # Issuing asks identity who the holder is and locks the department's seal inside its transaction: one
    # case per transaction, so that neither wait is multiplied by a batch.
    # A notice locks its department's seal row on first use only: batches are fine.
    return items.subscription(), approvals.subscription(batch_size=1), notified.subscription()
