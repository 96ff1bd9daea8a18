"""Inbound sync from city platforms: incremental catalog pulls and case pushes; case statistics of the
province (its own cases from workflow events plus the pushed and imported ones)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import TypeAdapter, ValidationError

from exchange.access import SCOPE_ADMIN, SCOPE_CASES_WRITE, SCOPE_CATALOG_READ, system_with_scope
from exchange.audit import service as audit
from exchange.errors import RegionNotAllowed
from exchange.inbound.schemas import CasePush, CasesPush, CaseStatistics, CatalogChanges, PushResult
from exchange.inbound.service import upsert_case
from exchange.models import CaseRecord, CatalogChange, ExternalSystem, aware
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import IsoDateTime
from gov_common.policy import admin_of, supervisor_of
from gov_standards.regions import region_covers, region_prefix

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
    since_time: Annotated[IsoDateTime | None, Query(description="alternatively: changes after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Changes in the system's region subtree, oldest first. Apply them in ``seq`` order; a later change
    of the same implementation code replaces the earlier one."""
    region = region or system.region[:6]
    if not region_covers(system.region, region):
        raise RegionNotAllowed(region=region)
    query = (
        sa.select(CatalogChange)
        .where(CatalogChange.seq > since, CatalogChange.region.startswith(region_prefix(region)))
        .order_by(CatalogChange.seq)
        .limit(limit + 1)
    )
    if since_time is not None:
        query = query.where(CatalogChange.changed_at > aware(since_time))
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "seq": r.seq,
            "implementation_code": r.implementation_code,
            "operation": r.operation,
            "version": r.version,
            "region": r.region,
            "changed_at": aware(r.changed_at),
            "item": r.item if r.operation == "published" else None,
        }
        for r in rows
    ]
    body = {"items": items, "next_since": rows[-1].seq if rows else since, "has_more": more}
    await audit.append(
        session, request, actor=system.identifier, request_body=dict(request.query_params), response_body=body
    )
    return body


_one_case = TypeAdapter(CasePush)


@router.post(
    "/cases:push",
    response_model=PushResult,
    summary="Push cases handled by the city platform and their status changes",
)
async def push_cases(request: Request, body: CasesPush, session: SessionDep, system: CasesSystem) -> Any:
    """Idempotent per (system, case_id, status_at): a repeat changes nothing. Each record is validated on
    its own; bad records come back in ``errors`` with their index, good ones are kept."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[dict[str, Any]] = []
    origin: Literal["city_platform", "department"] = "department" if system.kind == "department" else "city_platform"
    for index, raw in enumerate(body.cases):
        case_id = raw.get("case_id") if isinstance(raw.get("case_id"), str) else None
        try:
            case = _one_case.validate_python(raw)
        except ValidationError as exc:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]), "code": e["type"], "message": e["msg"]}
                for e in exc.errors()
            ]
            errors.append({"index": index, "case_id": case_id, "errors": problems})
            continue
        if not region_covers(system.region, case.region):
            errors.append(
                {
                    "index": index,
                    "case_id": case_id,
                    "errors": [
                        {"field": "region", "code": "region_not_allowed", "message": "outside the system's region"}
                    ],
                }
            )
            continue
        fields = case.model_dump(exclude={"case_id"})
        outcome = await upsert_case(
            session, source=system.identifier, origin=origin, external_id=case.case_id, fields=fields
        )
        counts[outcome] += 1
    result = {**counts, "rejected": len(errors), "errors": errors}
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
    prefix = region_prefix(region)
    origin = sa.case(
        (CaseRecord.source == "province", "province"),
        (CaseRecord.source == "legacy-import", "legacy_import"),
        else_="external_system",
    )
    rows = (
        await session.execute(
            sa.select(origin, CaseRecord.status, sa.func.count())
            .where(CaseRecord.region.startswith(prefix))
            .group_by(origin, CaseRecord.status)
        )
    ).all()
    by_origin: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for o, status, n in rows:
        by_origin[o] = by_origin.get(o, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return {"region": region, "total": sum(by_origin.values()), "by_origin": by_origin, "by_status": by_status}
