"""Demo data for ``make run``: the working-day calendar is already loaded by the migration; cases arrive
from the application service's demo submissions, so this only says how to look at them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.settings import ServiceSettings


async def seed_demo(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    return [
        "workflow: staff inbox GET /api/workflow/v1/tasks (staff token with roles, department and region)",
        "workflow: supervision GET /api/workflow/v1/supervision/summary (supervisor role)",
    ]
