"""The catalog read model: what cases need of each published item version (from ``catalog.item.published``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts.catalog import ItemPublished
from workflow.models import ItemVersion


async def keep_item(session: AsyncSession, event: ItemPublished) -> None:
    """Keep what cases need of a published item version (a redelivery changes nothing)."""
    key = (event.implementation_code, event.version)
    if await session.get(ItemVersion, key) is not None:
        return
    definition = event.definition
    # JSON columns keep the contract's JSON form (what the case copies and the domain reads as mappings).
    data = definition.model_dump(mode="json")
    session.add(
        ItemVersion(
            implementation_code=key[0],
            version=key[1],
            name=definition.name,
            region=definition.region,
            department_code=definition.department.code,
            department_name=definition.department.name,
            promised_days=definition.time_limit.promised_days,
            statutory_days=definition.time_limit.statutory_days,
            process=data["process"],
            fees=data["fees"],
            materials=data["materials"],
            form_schema=data["form_schema"],
            result_license_type=definition.result_license_type,
            smart_approval=definition.smart_approval,
            smart_approval_rule=data.get("smart_approval_rule"),
            published_at=event.published_at,
        )
    )


async def find_item(session: AsyncSession, code: str, version: int) -> ItemVersion | None:
    """The exact version the application names (its fees, process and time limit are what the citizen
    saw when applying; another version's would be wrong)."""
    return await session.get(ItemVersion, (code, version))


async def smart_approval_terms(session: AsyncSession, code: str, version: int) -> dict[str, Any]:
    """What smart approval checks a case against: the item version's own rule, or (without one) its materials
    and form schema for the platform's fixed rules."""
    item = await find_item(session, code, version)
    return {
        "materials": item.materials if item else [],
        "form_schema": item.form_schema if item else {},
        "rule": item.smart_approval_rule if item else None,
    }
