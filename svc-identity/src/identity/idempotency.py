"""``Idempotency-Key`` on creating writes: the first response is stored and replayed for the same key and
body; the same key with another body is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.idempotency import IdempotencyKeyReused, request_hash
from identity.models import IdempotentRequest


async def replay(session: AsyncSession, key: str | None, *, scope: str, body: Any) -> dict[str, Any] | None:
    if not key:
        return None
    row = await session.get(IdempotentRequest, f"{scope}:{key}"[:200])
    if row is None:
        return None
    if row.fingerprint != request_hash(body):
        raise IdempotencyKeyReused("send a new Idempotency-Key for a different request")
    return row.body


async def remember(session: AsyncSession, key: str | None, *, scope: str, body: Any, response: dict[str, Any]) -> None:
    if key:
        session.add(
            IdempotentRequest(key=f"{scope}:{key}"[:200], fingerprint=request_hash(body), status=201, body=response)
        )
