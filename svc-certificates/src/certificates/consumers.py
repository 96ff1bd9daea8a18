"""Event handlers: the item → license type read model (catalog.item.published and .withdrawn) and issuing on
workflow.case.approved. Each runs once per event id (inbox) in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.context import Context
from certificates.errors import InvalidFields
from certificates.licenses import service
from certificates.models import ApprovedCase, ItemLicense, License
from gov_common.events import CloudEvent
from gov_common.service import Subscription

log = logging.getLogger(__name__)

CATALOG_TOPIC = "gov.catalog.items"
WORKFLOW_TOPIC = "gov.workflow.cases"
ITEM_PUBLISHED = "catalog.item.published"
ITEM_WITHDRAWN = "catalog.item.withdrawn"
CASE_APPROVED = "workflow.case.approved"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Department(_Loose):
    code: str
    name: str


class _Definition(_Loose):
    name: str
    department: _Department
    result_license_type: str | None = None


class ItemPublishedIn(_Loose):
    """What we keep of catalog.item.published (catalog/events.py ItemPublished)."""

    implementation_code: str
    version: int
    definition: _Definition


class ItemWithdrawnIn(_Loose):
    """What we keep of catalog.item.withdrawn (catalog/events.py ItemWithdrawn)."""

    implementation_code: str
    version: int
    withdrawn_at: datetime


class _Applicant(_Loose):
    subject: str
    kind: str
    enterprise: str | None = None


class _HolderHint(_Loose):
    id_type: str | None = None
    name: str | None = None


class CaseApprovedIn(_Loose):
    """What we read of workflow.case.approved (docs/events.md)."""

    case_id: str
    item_code: str
    region: str
    department: Any  # a credit code, or {code, name}
    applicant: _Applicant
    result_license_type: str | None = None
    license_fields: dict[str, Any] = {}
    holder: _HolderHint | None = None


async def on_item_published(session: AsyncSession, event: CloudEvent) -> None:
    data = ItemPublishedIn.model_validate(event.data)
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


async def on_item_withdrawn(session: AsyncSession, event: CloudEvent) -> None:
    data = ItemWithdrawnIn.model_validate(event.data)
    row = await session.get(ItemLicense, data.implementation_code)
    if row is not None and row.version <= data.version:
        row.withdrawn_at = data.withdrawn_at


async def on_case_approved(session: AsyncSession, event: CloudEvent, ctx: Context) -> None:
    """Record the approved case (what an approver may later issue for it) and issue its license; when the
    form did not fill the type's required fields, the case waits for its approver (``POST /v1/licenses``)."""
    data = CaseApprovedIn.model_validate(event.data)
    item = await session.get(ItemLicense, data.item_code)
    type_name = data.result_license_type or (item.license_type_name if item else None)
    if not type_name:
        return  # the item produces no license
    if await session.scalar(sa.select(License.id).where(License.case_id == data.case_id)) is not None:
        return  # already issued for this case (a replayed event under another id)
    if isinstance(data.department, dict):
        dept_code, dept_name = str(data.department["code"]), str(data.department.get("name") or "")
    else:
        dept_code, dept_name = str(data.department), ""
    dept_name = dept_name or (item.department_name if item and item.department_code == dept_code else dept_code)
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
            holder_name=data.holder.name if data.holder and data.holder.name else "",
            approved_at=event.time,
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


def subscriptions(
    context: Callable[[], Context], *, catalog_topic: str = CATALOG_TOPIC, workflow_topic: str = WORKFLOW_TOPIC
) -> tuple[Subscription, ...]:
    """The consumers, bound to the running service's context (settings, keys, identity client)."""

    async def approved(session: AsyncSession, event: CloudEvent) -> None:
        if event.type == CASE_APPROVED:
            await on_case_approved(session, event, context())

    async def published(session: AsyncSession, event: CloudEvent) -> None:
        if event.type == ITEM_PUBLISHED:
            await on_item_published(session, event)
        elif event.type == ITEM_WITHDRAWN:
            await on_item_withdrawn(session, event)

    # Issuing asks identity who the holder is and locks the department's seal inside its transaction: one
    # case per transaction, so that neither wait is multiplied by a batch.
    return (
        Subscription(group="certificates.item-licenses", topics=[catalog_topic], handler=published),
        Subscription(group="certificates.issue-on-approval", topics=[workflow_topic], handler=approved, batch_size=1),
    )
