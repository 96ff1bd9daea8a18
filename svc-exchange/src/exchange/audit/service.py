"""The access audit: append-only and hash-chained. Each entry's ``hash`` is SHA-256 over the previous
entry's hash and this entry's fields, so changing or removing any entry breaks every later link.

Appends are serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE already
serialises writers) so that two requests never chain onto the same predecessor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.identifiers import sha256_json
from exchange.models import AccessAudit
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import SUPERVISOR, admin_of
from gov_common.requestid import current_request_id
from gov_standards.china_time import utcnow

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x6175646974  # "audit"


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite gives back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + body).encode()).hexdigest()


def _fields(entry: AccessAudit) -> dict[str, Any]:
    return {
        "at": _utc_text(entry.at),
        "request_id": entry.request_id,
        "actor": entry.actor,
        "consumer_department": entry.consumer_department,
        "dataset_code": entry.dataset_code,
        "owner_department": entry.owner_department,
        "method": entry.method,
        "path": entry.path,
        "request_hash": entry.request_hash,
        "response_hash": entry.response_hash,
    }


async def append(
    session: AsyncSession,
    request: Request,
    *,
    actor: str,
    request_body: Any,
    response_body: Any,
    dataset_code: str | None = None,
    owner_department: str | None = None,
    consumer_department: str | None = None,
) -> AccessAudit:
    """Record one access in the caller's transaction."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    prev = await session.scalar(sa.select(AccessAudit.hash).order_by(AccessAudit.seq.desc()).limit(1))
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    entry = AccessAudit(
        at=utcnow(),
        request_id=current_request_id() or "-",
        actor=actor,
        consumer_department=consumer_department,
        dataset_code=dataset_code,
        owner_department=owner_department,
        method=request.method,
        path=path[:500],
        request_hash=sha256_json(request_body),
        response_hash=sha256_json(response_body),
        prev_hash=prev or GENESIS,
        hash="",
    )
    entry.hash = entry_hash(entry.prev_hash, _fields(entry))
    session.add(entry)
    await session.flush()
    return entry


def verify_chain(entries: Sequence[AccessAudit]) -> tuple[bool, int | None]:
    """(True, None) when every entry links to its predecessor and its hash matches its fields, else
    (False, seq of the first broken entry). ``entries`` is the whole log in ``seq`` order."""
    prev = GENESIS
    for entry in entries:
        if entry.prev_hash != prev or entry_hash(prev, _fields(entry)) != entry.hash:
            return False, entry.seq
        prev = entry.hash
    return True, None


async def verify(session: AsyncSession) -> dict[str, Any]:
    entries = list(await session.scalars(sa.select(AccessAudit).order_by(AccessAudit.seq)))
    ok, broken = verify_chain(entries)
    return {"valid": ok, "entries": len(entries), "broken_at": broken, "head": entries[-1].hash if entries else GENESIS}


def readable_department(principal: Principal) -> str | None:
    """None = every entry (auditors); else the owner department whose entries the caller may read."""
    if admin_of(principal, None) or (principal.kind == "staff" and SUPERVISOR in principal.roles):
        return None
    if principal.kind == "staff" and principal.department:
        return principal.department
    raise Forbidden("the access audit is for data owners and auditors")
