"""Appending to and verifying a case's hash-chained trace."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from workflow import chain
from workflow.cases.domain import Actor
from workflow.models import Case, TraceEntry


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; SQLite hands back naive datetimes, which we always store as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def content_of(entry: TraceEntry) -> dict[str, Any]:
    """The hashed content of an entry (everything but the hashes themselves)."""
    return {
        "case_id": str(entry.case_id),
        "seq": entry.seq,
        "at": utc(entry.at).isoformat(),
        "actor": entry.actor,
        "actor_kind": entry.actor_kind,
        "role": entry.role,
        "department": entry.department,
        "action": entry.action,
        "opinion": entry.opinion,
        "state_before": entry.state_before,
        "state_after": entry.state_after,
        "details": entry.details,
    }


async def append(
    session: AsyncSession,
    case: Case,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    before: str | None,
    after: str,
    opinion: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> TraceEntry:
    """Append one entry after the case's head. The caller holds the case row (locked), so seqs are dense."""
    entry = TraceEntry(
        case_id=case.id,
        seq=case.trace_seq + 1,
        at=utc(at),
        actor=actor.subject,
        actor_kind=actor.kind,
        role=actor.role,
        department=actor.department,
        action=action,
        opinion=opinion,
        state_before=None if before is None else str(before),
        state_after=str(after),
        details=dict(details or {}),
        prev_hash=case.trace_head,
        hash="",
    )
    entry.hash = chain.entry_hash(entry.prev_hash, content_of(entry))
    session.add(entry)
    case.trace_seq = entry.seq
    case.trace_head = entry.hash
    return entry


async def entries(session: AsyncSession, case_id: uuid.UUID) -> list[TraceEntry]:
    """The case's entries in order, as stored (a direct edit in the database must show, not what this
    session may hold in its identity map)."""
    rows = await session.scalars(
        sa.select(TraceEntry)
        .where(TraceEntry.case_id == case_id)
        .order_by(TraceEntry.seq)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def verify(session: AsyncSession, case: Case) -> chain.Verdict:
    """Recompute the chain from the stored rows and compare with the head the case row keeps."""
    rows = await entries(session, case.id)
    return chain.verify(
        [(r.seq, r.prev_hash, r.hash, content_of(r)) for r in rows], head_hash=case.trace_head, head_seq=case.trace_seq
    )
