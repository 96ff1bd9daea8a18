"""Inbound sync from city platforms: incremental catalog pulls and case pushes; case statistics of the
province (its own cases from workflow events plus the pushed and imported ones)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from exchange import audit, events
from exchange.access import SCOPE_ADMIN, SCOPE_CASES_WRITE, SCOPE_CATALOG_READ, system_with_scope
from exchange.errors import RegionNotAllowed
from exchange.identifiers import REGION, credit_code_shape_ok
from exchange.models import CaseRecord, CatalogChange, ExternalSystem, utcnow
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.outbox import add_event
from gov_common.pagination import IsoDateTime
from gov_common.policy import admin_of, supervisor_of
from gov_common.regions import region_covers, region_prefix

router = APIRouter(prefix="/v1", tags=["inbound"])
CatalogSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_CATALOG_READ))]
CasesSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_CASES_WRITE))]
MAX_PUSH = 500


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class CatalogChangeRead(BaseModel):
    seq: int = Field(description="the catalog version after this change; pass the last one as `since`")
    implementation_code: str
    operation: Literal["published", "withdrawn"]
    version: int
    region: str
    changed_at: datetime
    item: dict[str, Any] | None = Field(description="the published definition; null when withdrawn")


class CatalogChanges(BaseModel):
    items: list[CatalogChangeRead]
    next_since: int = Field(description="pass as `since` next time")
    has_more: bool


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


CaseStatus = events.CaseStatus


class CasePush(BaseModel):
    """One case as a city platform reports it."""

    model_config = ConfigDict(extra="forbid")
    case_id: str = Field(min_length=1, max_length=100, description="the case id in the city platform")
    tracking_number: str | None = Field(default=None, max_length=100)
    item_code: str = Field(min_length=1, max_length=200, description="implementation code of the item")
    item_name: str | None = Field(default=None, max_length=300)
    region: str
    department: str = Field(description="credit code of the handling department")
    status: CaseStatus
    status_at: datetime
    received_at: datetime

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError("region must be a Guangxi GB/T 2260 code")
        return value

    @field_validator("department")
    @classmethod
    def _department(cls, value: str) -> str:
        if not credit_code_shape_ok(value):
            raise ValueError("department must be an 18-character unified social credit code")
        return value

    @field_validator("status_at", "received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("times need their offset (RFC 3339)")
        return value


class CasesPush(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_PUSH)


class RecordError(BaseModel):
    index: int
    case_id: str | None
    errors: list[dict[str, str]]


class PushResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RecordError]


_one_case = TypeAdapter(CasePush)


async def upsert_case(
    session: AsyncSession,
    *,
    source: str,
    origin: Literal["city_platform", "department", "legacy_import"] | None,
    external_id: str,
    fields: dict[str, Any],
) -> str:
    """Create or advance a case record; returns created | updated | unchanged. An older status report
    than the one kept changes nothing (pushes may be retried and arrive out of order)."""
    record = await session.scalar(
        sa.select(CaseRecord).where(CaseRecord.source == source, CaseRecord.external_id == external_id)
    )
    change: Literal["created", "status_changed"]
    if record is None:
        record = CaseRecord(source=source, external_id=external_id, **fields)
        try:
            async with session.begin_nested():  # a concurrent push of the same new case wins the race
                session.add(record)
        except IntegrityError:
            return "unchanged"
        change, outcome = "created", "created"
    elif aware(fields["status_at"]) > aware(record.status_at) and (
        fields["status"] != record.status or fields["status_at"] != record.status_at
    ):
        record.status, record.status_at, record.updated_at = fields["status"], fields["status_at"], utcnow()
        change, outcome = "status_changed", "updated"
    else:
        return "unchanged"
    await session.flush()
    if origin is not None:
        await add_event(
            session,
            topic=events.TOPIC_CASES,
            type=events.CASE_SYNCED,
            source=events.SOURCE,
            subject=str(record.id),
            data=events.payload(
                events.CASE_SYNCED,
                record_id=str(record.id),
                origin=origin,
                source=source,
                external_id=external_id,
                tracking_number=record.tracking_number,
                item_code=record.item_code,
                item_name=record.item_name,
                region=record.region,
                department=record.department,
                status=record.status,
                status_at=aware(record.status_at),
                received_at=aware(record.received_at),
                change=change,
                flags=list(record.flags or []),
            ),
        )
    return outcome


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


class CaseStatistics(BaseModel):
    region: str
    total: int
    by_origin: dict[str, int]
    by_status: dict[str, int]


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
