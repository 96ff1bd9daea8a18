"""``Idempotency-Key`` for creating writes: the same key and body get the first answer again; the same key
with another body is refused (409). Concurrent duplicates are serialised by the record's primary key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from application.models import IdempotencyRecord
from application.rules import utcnow
from gov_common.idempotency import IdempotencyKeyRequired, IdempotencyKeyReused, request_hash


@dataclass
class Claim:
    record: IdempotencyRecord
    replay: bool  # True: answer record.body with record.status_code and do nothing else


async def claim(session: AsyncSession, *, principal: str, scope: str, key: str | None, body: Any) -> Claim:
    """Claim ``key`` for this request, or find the answer of an earlier one with the same key. On
    PostgreSQL a concurrent duplicate waits on the first one's uncommitted row, then replays its answer."""
    if not key:
        raise IdempotencyKeyRequired("send an Idempotency-Key header (at most 200 characters)")
    digest = request_hash(body)
    pk = (principal, scope, key)
    existing = await session.get(IdempotencyRecord, pk)
    if existing is None:
        record = IdempotencyRecord(
            principal=principal, scope=scope, key=key, request_hash=digest, status_code=0, body={}, created_at=utcnow()
        )
        try:
            async with session.begin_nested():
                session.add(record)
                await session.flush()
            return Claim(record, replay=False)
        except IntegrityError:
            existing = await session.get(IdempotencyRecord, pk, populate_existing=True)
            assert existing is not None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused()
    return Claim(existing, replay=True)


def remember(claim_: Claim, *, status_code: int, body: dict[str, Any]) -> None:
    claim_.record.status_code = status_code
    claim_.record.body = body
