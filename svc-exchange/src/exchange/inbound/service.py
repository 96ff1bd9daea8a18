"""Case records of the province: created or advanced from pushes, imports and workflow events."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from exchange import events
from exchange.models import CaseRecord, aware
from gov_common.outbox import add_event
from gov_standards.china_time import utcnow


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
