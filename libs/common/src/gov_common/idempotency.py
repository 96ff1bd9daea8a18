"""``Idempotency-Key`` on creating writes: the same key with the same body gets the first answer again;
the same key with another body is a 409. A service keeps the first answers in its own table
(:class:`IdempotencyRecordMixin`) and calls :func:`claim` then :func:`remember`; or, where the created row
itself can hold the key and the request hash, :func:`check_replay`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Header
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gov_common.db import UtcDateTime
from gov_common.errors import Conflict, ProblemError

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="repeat this create safely with the same key"),
]


class IdempotencyKeyRequired(ProblemError):
    slug, status, title = "idempotency-key-required", 400, "Send an Idempotency-Key header"


class IdempotencyKeyReused(Conflict):
    slug, title = "idempotency-key-reused", "This Idempotency-Key was used with another request"


def request_hash(body: Any) -> str:
    """A stable digest of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_replay(stored_hash: str | None, body_hash: str) -> None:
    """Raise :class:`IdempotencyKeyReused` unless the stored request had this body."""
    if stored_hash != body_hash:
        raise IdempotencyKeyReused()


class IdempotencyRecordMixin:
    """Columns of a service's table of first answers (``class IdempotencyRecord(IdempotencyRecordMixin,
    Base): pass``); one row per caller, scope and key."""

    __tablename__ = "idempotency_record"

    principal: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


R = TypeVar("R", bound=IdempotencyRecordMixin)


@dataclass
class Claim(Generic[R]):
    record: R
    replay: bool  # True: answer record.body with record.status_code and do nothing else


async def claim(
    session: AsyncSession, model: type[R], *, principal: str, scope: str, key: str | None, body: Any
) -> Claim[R]:
    """Claim ``key`` for this request, or find the answer of an earlier one with the same key and body. On
    PostgreSQL a concurrent duplicate waits on the first one's uncommitted row, then replays its answer."""
    if not key or len(key) > 200:
        raise IdempotencyKeyRequired("send an Idempotency-Key header (at most 200 characters)")
    digest = request_hash(body)
    pk = (principal, scope, key)
    existing = await session.get(model, pk)
    if existing is None:
        record = model()
        record.principal, record.scope, record.key, record.request_hash = principal, scope, key, digest
        record.status_code, record.body, record.created_at = 0, {}, datetime.now(UTC)
        try:
            async with session.begin_nested():
                session.add(record)
                await session.flush()
            return Claim(record, replay=False)
        except IntegrityError:
            # Another request with this key committed meanwhile (we waited on its row): answer as it did.
            existing = await session.get(model, pk, populate_existing=True)
            assert existing is not None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused()
    return Claim(existing, replay=True)


def replayed(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a create that answers an earlier request's ``Idempotency-Key`` with 200
    (and the created resource) instead of its 201."""
    return {200: {"model": model, "description": "the resource an earlier request with this Idempotency-Key created"}}


def remember(claimed: Claim[Any], *, status_code: int, body: dict[str, Any]) -> None:
    """Keep the answer to replay for this key."""
    claimed.record.status_code = status_code
    claimed.record.body = body
