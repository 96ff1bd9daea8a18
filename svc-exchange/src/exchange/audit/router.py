"""The hash-chained access audit, read and verified by data owners (their datasets) and auditors (all)."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query

from exchange.access import SCOPE_ADMIN
from exchange.audit import service as audit
from exchange.audit.schemas import AuditPage, ChainVerification
from exchange.audit.service import readable_department
from exchange.models import AccessAudit
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import (
    Cursor,
    Limit,
    decode_cursor,
    encode_cursor,
)

router = APIRouter(prefix="/v1", tags=["shared data"])


AdminDep = Annotated[Principal, scoped(SCOPE_ADMIN)]


@router.get("/audit", response_model=AuditPage, summary="Access audit (owners: their datasets; auditors: all)")
async def read_audit(
    principal: AdminDep,
    session: SessionDep,
    dataset: Annotated[str | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Any:
    owner = readable_department(principal)
    query = sa.select(AccessAudit).order_by(AccessAudit.seq).limit(limit + 1)
    if owner is not None:
        query = query.where(AccessAudit.owner_department == owner)
    if dataset:
        query = query.where(AccessAudit.dataset_code == dataset)
    after = decode_cursor(cursor, s=int)
    if after:
        query = query.where(AccessAudit.seq > after["s"])
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor({"s": rows[-1].seq}) if more else None}


@router.get("/audit/verify", response_model=ChainVerification, summary="Verify the whole hash chain")
async def verify_audit(principal: AdminDep, session: SessionDep) -> Any:
    readable_department(principal)
    return await audit.verify(session)
