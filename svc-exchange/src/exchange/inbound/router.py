"""Inbound sync from city platforms: incremental catalog pulls and case pushes; case statistics of the
province (its own cases from workflow events plus the pushed and imported ones)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from exchange.access import SCOPE_ADMIN, SCOPE_CASES_WRITE, SCOPE_CATALOG_READ
from exchange.audit import service as audit
from exchange.deps import system_with_scope
from exchange.errors import RegionNotAllowed
from exchange.fields import IsoWithOffset
from exchange.inbound import service
from exchange.inbound.schemas import CasesPush, CaseStatistics, CatalogChanges, PushResult
from exchange.models import ExternalSystem
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import Cursor, decode_cursor, encode_cursor
from gov_common.policy import admin_of, supervisor_of
from gov_standards.regions import region_covers

router = APIRouter(prefix="/v1", tags=["inbound"])
CatalogSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_CATALOG_READ))]
CasesSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_CASES_WRITE))]


@router.get(
    "/catalog/changes",
    response_model=CatalogChanges,
    summary="Catalog changes of a region since a version or time (incremental pull)",
)
async def catalog_changes(
    request: Request,
    session: SessionDep,
    system: CatalogSystem,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    since: Annotated[int, Query(ge=0, le=2**63 - 1, description="catalog version (seq) already applied")] = 0,
    since_time: Annotated[IsoWithOffset | None, Query(description="alternatively: changes after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> Any:
    """Changes in the system's region subtree, oldest first. Apply them in ``seq`` order; a later change
    of the same implementation code replaces the earlier one. ``cursor`` (the last page's ``next_cursor``)
    stands for ``since``."""
    after = decode_cursor(cursor, since=int)
    since = after["since"] if after else since
    region = region or system.region[:6]
    if not region_covers(system.region, region):
        raise RegionNotAllowed(region=region)
    body = await service.catalog_changes(session, region=region, since=since, since_time=since_time, limit=limit)
    body["next_cursor"] = encode_cursor({"since": body["next_since"]}) if body["has_more"] else None
    await audit.append(
        session, request, actor=system.identifier, request_body=dict(request.query_params), response_body=body
    )
    return body


@router.post(
    "/cases:push",
    response_model=PushResult,
    summary="Push cases handled by the city platform and their status changes",
)
async def push_cases(request: Request, body: CasesPush, session: SessionDep, system: CasesSystem) -> Any:
    """Idempotent per (system, case_id, status_at): a repeat changes nothing. Each record is validated on
    its own; bad records come back in ``errors`` with their index, good ones are kept."""
    result = await service.push_cases(session, system=system, records=body.cases)
    await audit.append(session, request, actor=system.identifier, request_body=body.model_dump(), response_body=result)
    return result


@router.get("/statistics/cases", response_model=CaseStatistics, summary="Cases of a region, from every source")
async def case_statistics(
    principal: Annotated[Principal, scoped(SCOPE_ADMIN)],
    session: SessionDep,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> Any:
    """Supervisors for their region subtree, platform admins for any region: the province's own cases and
    those pushed by city platforms or imported, counted together."""
    region = region or (principal.region or "")
    if not (supervisor_of(principal, region) or admin_of(principal, region)):
        if supervisor_of(principal, principal.region):
            raise RegionNotAllowed(region=region)
        raise Forbidden("case statistics are for supervisors and platform admins")
    return await service.case_statistics(session, region=region)
