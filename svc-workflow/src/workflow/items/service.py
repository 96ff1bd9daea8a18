"""The catalog read model: what cases need of each published item version (from ``catalog.item.published``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from workflow.models import ItemVersion


async def keep_item(session: AsyncSession, data: dict[str, Any]) -> None:
    """Keep what cases need of a published item version (a redelivery changes nothing)."""
    definition = data["definition"]
    key = (data["implementation_code"], int(data["version"]))
    if await session.get(ItemVersion, key) is not None:
        return
    session.add(
        ItemVersion(
            implementation_code=key[0],
            version=key[1],
            name=definition["name"],
            region=definition["region"],
            department_code=definition["department"]["code"],
            department_name=definition["department"]["name"],
            promised_days=int(definition["time_limit"]["promised_days"]),
            statutory_days=int(definition["time_limit"]["statutory_days"]),
            process=definition["process"],
            fees=definition.get("fees", []),
            materials=definition.get("materials", []),
            form_schema=definition.get("form_schema", {}),
            result_license_type=definition.get("result_license_type"),
            smart_approval=bool(definition.get("smart_approval", False)),
            published_at=datetime.fromisoformat(str(data["published_at"])),
        )
    )


async def find_item(session: AsyncSession, code: str, version: int) -> ItemVersion | None:
    """The exact version the application names (its fees, process and time limit are what the citizen
    saw when applying; another version's would be wrong)."""
    return await session.get(ItemVersion, (code, version))


async def smart_approval_terms(session: AsyncSession, code: str, version: int) -> dict[str, Any]:
    """What smart approval checks a case against: the item version's materials and form schema."""
    item = await find_item(session, code, version)
    return {"materials": item.materials if item else [], "form_schema": item.form_schema if item else {}}
