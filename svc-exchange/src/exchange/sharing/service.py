"""Rules of shared data: who owns a dataset, which department asks, which fields it is approved for."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.access import SCOPE_SHARED_QUERY
from exchange.audit import service as audit
from exchange.errors import (
    DatasetNotFound,
    ScopeNotGranted,
    SystemNotRegistered,
)
from exchange.models import ExternalSystem, SharedDataset, SharingRequest
from exchange.systems.service import registered_system
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_standards.china_time import utcnow

DECIDER_ROLE = "approver"


async def get_dataset(session: AsyncSession, code: str) -> SharedDataset:
    dataset = await session.get(SharedDataset, code)
    if dataset is None:
        raise DatasetNotFound()
    return dataset


def is_owner(principal: Principal, dataset: SharedDataset) -> bool:
    return principal.kind == "staff" and principal.department == dataset.owner_department


async def granted_system(principal: Principal, session: AsyncSession) -> ExternalSystem:
    """The calling system, registered, active and granted ``exchange.shared.query`` in the registry (its
    token's scope was checked by the operation)."""
    system = await registered_system(session, principal)
    if system is None:
        raise SystemNotRegistered()
    if SCOPE_SHARED_QUERY not in system.scopes:
        raise ScopeNotGranted(required_scope=SCOPE_SHARED_QUERY)
    return system


async def consumer_department(principal: Principal, session: AsyncSession) -> tuple[str, str]:
    """(department credit code, actor) of a staff member or of a registered department system."""
    if principal.kind == "staff" and principal.department:
        return principal.department, principal.subject
    if principal.kind == "system":
        system = await granted_system(principal, session)
        if not system.department:
            raise Forbidden("the system belongs to no department")
        return system.department, system.identifier
    raise Forbidden("shared data is for departments and their systems")


async def approved_fields(session: AsyncSession, dataset_code: str, department: str) -> set[str]:
    rows = await session.scalars(
        sa.select(SharingRequest.fields).where(
            SharingRequest.dataset_code == dataset_code,
            SharingRequest.consumer_department == department,
            SharingRequest.status == "approved",
            SharingRequest.valid_until > utcnow(),
        )
    )
    return {f for fields in rows for f in fields}


async def audit_refusal(session: AsyncSession, request: Request, **entry: Any) -> None:
    """Record an access that ends in an error. The request's transaction rolls back with the error, so the
    entry goes in a transaction of its own (the request's is ended first: SQLite allows one writer)."""
    await session.rollback()
    async with request.app.state.runtime.db.transaction() as own:
        await audit.append(own, request, **entry)
