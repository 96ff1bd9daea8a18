"""``Idempotency-Key`` on creating writes, kept on the created row: the same key and body return the first
row again; the same key with another body is refused (409)."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gov_common.idempotency import check_replay

T = TypeVar("T")


async def earlier(
    session: AsyncSession,
    model: type[T],
    *,
    owner_column: InstrumentedAttribute[Any],
    owner: str,
    key: str | None,
    body_hash: str,
) -> T | None:
    """The row an earlier request with this key created, or ``None`` (no key, or a new key)."""
    if not key:
        return None
    row = await session.scalar(
        sa.select(model).where(owner_column == owner, model.idempotency_key == key)  # type: ignore[attr-defined]
    )
    if row is not None:
        check_replay(row.request_hash, body_hash)  # type: ignore[attr-defined]
    return row
