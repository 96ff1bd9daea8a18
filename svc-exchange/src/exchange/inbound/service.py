"""Case records of the province: created or advanced from pushes, imports and workflow events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.inbound.schemas import CasePush
from exchange.models import CaseRecord, CatalogChange, ExternalSystem
from gov_contracts import publish
from gov_contracts.exchange import CaseSynced, StatusChange
from gov_standards.china_time import utcnow
from gov_standards.regions import region_covers, region_prefix

# Sources of case records that are not a registered system's identifier.
PROVINCE_SOURCE = "province"
LEGACY_SOURCE = "legacy-import"
_one_case = TypeAdapter(CasePush)


def record_errors(exc: ValidationError) -> list[dict[str, str]]:
    """What is wrong with one record of a batch (a push or an import): field, code and message per error."""
    return [{"field": ".".join(str(p) for p in e["loc"]), "code": e["type"], "message": e["msg"]} for e in exc.errors()]


async def catalog_changes(
    session: AsyncSession, *, region: str, since: int, since_time: datetime | None, limit: int
) -> dict[str, Any]:
    """A page of the catalog changes in ``region``'s subtree after version ``since`` (and time ``since_time``),
    oldest first."""
    query = (
        sa.select(CatalogChange)
        .where(CatalogChange.seq > since, CatalogChange.region.startswith(region_prefix(region)))
        .order_by(CatalogChange.seq)
        .limit(limit + 1)
    )
    if since_time is not None:
        query = query.where(CatalogChange.changed_at > since_time)
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
            "changed_at": r.changed_at,
            "item": r.item if r.operation == "published" else None,
        }
        for r in rows
    ]
    return {"items": items, "next_since": rows[-1].seq if rows else since, "has_more": more}


async def push_cases(session: AsyncSession, *, system: ExternalSystem, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Keep each valid record of ``system``'s region as a case record; the others come back in ``errors``
    with their index."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[dict[str, Any]] = []
    origin: Literal["city_platform", "department"] = "department" if system.kind == "department" else "city_platform"
    for index, raw in enumerate(records):
        case_id = raw.get("case_id") if isinstance(raw.get("case_id"), str) else None
        try:
            case = _one_case.validate_python(raw)
        except ValidationError as exc:
            errors.append({"index": index, "case_id": case_id, "errors": record_errors(exc)})
            continue
        if not region_covers(system.region, case.region):
            outside = {"field": "region", "code": "region_not_allowed", "message": "outside the system's region"}
            errors.append({"index": index, "case_id": case_id, "errors": [outside]})
            continue
        fields = case.model_dump(exclude={"case_id", "changes"})
        changes = [StatusChange(status=c.status, at=c.status_at) for c in case.changes]
        outcome = await upsert_case(
            session, source=system.identifier, origin=origin, external_id=case.case_id, fields=fields, changes=changes
        )
        counts[outcome] += 1
    return {**counts, "rejected": len(errors), "errors": errors}


async def case_statistics(session: AsyncSession, *, region: str) -> dict[str, Any]:
    """Case records of ``region``'s subtree counted by origin and by status."""
    origin = sa.case(
        (CaseRecord.source == PROVINCE_SOURCE, "province"),
        (CaseRecord.source == LEGACY_SOURCE, "legacy_import"),
        else_="external_system",
    )
    rows = (
        await session.execute(
            sa.select(origin, CaseRecord.status, sa.func.count())
            .where(CaseRecord.region.startswith(region_prefix(region)))
            .group_by(origin, CaseRecord.status)
        )
    ).all()
    by_origin: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for o, status, n in rows:
        by_origin[o] = by_origin.get(o, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return {"region": region, "total": sum(by_origin.values()), "by_origin": by_origin, "by_status": by_status}


async def upsert_case(
    session: AsyncSession,
    *,
    source: str,
    origin: Literal["city_platform", "department", "legacy_import"] | None,
    external_id: str,
    fields: dict[str, Any],
    changes: list[StatusChange] | None = None,
) -> str:
    """Create or advance a case record; returns created | updated | unchanged. An older status report
    than the one kept changes nothing (pushes may be retried and arrive out of order). The event carries
    the record's acceptance time and deadline and the ``changes`` reported with the status."""
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
    elif fields["status_at"] > record.status_at and (
        fields["status"] != record.status or fields["status_at"] != record.status_at
    ):
        record.status, record.status_at, record.updated_at = fields["status"], fields["status_at"], utcnow()
        for kept in ("accepted_at", "deadline"):  # a later push may set or move them
            if fields.get(kept) is not None:
                setattr(record, kept, fields[kept])
        change, outcome = "status_changed", "updated"
    else:
        return "unchanged"
    await session.flush()
    if origin is not None:
        await publish(
            session,
            CaseSynced(
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
                status_at=record.status_at,
                received_at=record.received_at,
                change=change,
                flags=tuple(record.flags or ()),
                accepted_at=record.accepted_at,
                deadline=record.deadline,
                changes=tuple(changes or ()),
            ),
        )
    return outcome
