"""Rectification of bad ratings (差评整改): the department verifies, rectifies and replies by the due day;
the rater confirms or rejects the reply; the department may appeal a malicious rating to a supervisor.
The overdue sweep emits ``evaluation.rectification.overdue`` once per rectification."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain import RectificationStatus, can_transition
from evaluation.errors import InvalidTransition, RectificationNotFound
from evaluation.models import Rating, Rectification
from gov_contracts import evaluation as contract
from gov_contracts import publish
from gov_standards.china_time import china_date

R = RectificationStatus


async def get_rectification(session: AsyncSession, rect_id: uuid.UUID, *, lock: bool = False) -> Rectification:
    query = sa.select(Rectification).where(Rectification.id == rect_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    rect = (await session.execute(query)).scalar_one_or_none()
    if rect is None:
        raise RectificationNotFound()
    return rect


def _move(rect: Rectification, to: RectificationStatus, *, actor: str, now: datetime, action: str) -> None:
    if not can_transition(rect.status, to):
        raise InvalidTransition(f"a rectification {rect.status} cannot be {action}", current_status=rect.status)
    rect.status, rect.updated_at = str(to), now
    rect.history = [*rect.history, {"at": now.isoformat(), "by": actor, "action": action}]


def reply(
    rect: Rectification, *, verification: str, measures: str, text: str, actor: str, now: datetime
) -> Rectification:
    _move(rect, R.REPLIED, actor=actor, now=now, action="replied")
    rect.verification, rect.measures, rect.reply = verification, measures, text
    rect.replied_by, rect.replied_at = actor, now
    if rect.first_replied_at is None:
        rect.first_replied_at = now
        rect.replied_on_time = china_date(now) <= rect.due
    return rect


def confirm(rect: Rectification, *, feedback: str, actor: str, now: datetime) -> Rectification:
    _move(rect, R.CONFIRMED, actor=actor, now=now, action="confirmed")
    rect.rater_feedback, rect.confirmed_at = feedback, now
    return rect


def reject(rect: Rectification, *, feedback: str, actor: str, now: datetime) -> Rectification:
    """The rater does not accept the reply: the department must reply again (the due day stays)."""
    if rect.status != R.REPLIED:
        raise InvalidTransition(f"a rectification {rect.status} cannot be rejected", current_status=rect.status)
    _move(rect, R.OPEN, actor=actor, now=now, action="rejected")
    rect.rater_feedback, rect.rejections = feedback, rect.rejections + 1
    return rect


def appeal(rect: Rectification, *, reason: str, actor: str, now: datetime) -> Rectification:
    _move(rect, R.APPEALED, actor=actor, now=now, action="appealed")
    rect.appeal_reason, rect.appealed_by, rect.appealed_at = reason, actor, now
    return rect


async def decide(
    session: AsyncSession, rect: Rectification, *, upheld: bool, note: str, actor: str, now: datetime
) -> Rectification:
    """A supervisor decides an appeal: upheld voids the rating (excluded from statistics), dismissed sends
    the rectification back to the department."""
    if rect.status != R.APPEALED:
        raise InvalidTransition(f"a rectification {rect.status} has no appeal to decide", current_status=rect.status)
    _move(
        rect,
        R.VOIDED if upheld else R.OPEN,
        actor=actor,
        now=now,
        action="appeal_upheld" if upheld else "appeal_dismissed",
    )
    rect.appeal_decision, rect.decision_note, rect.decided_by, rect.decided_at = (
        "upheld" if upheld else "dismissed",
        note,
        actor,
        now,
    )
    if upheld:
        rating = await session.get(Rating, rect.rating_id, with_for_update=True)
        assert rating is not None
        rating.excluded = True
    return rect


async def list_rectifications(
    session: AsyncSession,
    *,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Rectification]:
    query = sa.select(Rectification).where(*where)
    if after is not None:
        at, last = after
        query = query.where(
            sa.or_(Rectification.opened_at < at, sa.and_(Rectification.opened_at == at, Rectification.id < last))
        )
    query = query.order_by(Rectification.opened_at.desc(), Rectification.id.desc()).limit(limit)
    return list(await session.scalars(query))


def overdue_condition(now: datetime) -> sa.ColumnElement[bool]:
    """Still waiting for the department, and the due day (China) has ended."""
    return sa.and_(Rectification.status == str(R.OPEN), Rectification.due < china_date(now))


async def mark_overdue(session: AsyncSession, *, now: datetime, batch: int = 200) -> int:
    """Emit ``evaluation.rectification.overdue`` for each overdue rectification not yet reported; returns
    how many. Rows are locked and skipped when another replica holds them (PostgreSQL)."""
    query = (
        sa.select(Rectification)
        .where(overdue_condition(now), Rectification.overdue_notified_at.is_(None))
        .order_by(Rectification.due, Rectification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    rows = list(await session.scalars(query))
    for rect in rows:
        rect.overdue_notified_at = now
        rect.history = [*rect.history, {"at": now.isoformat(), "by": "system", "action": "overdue"}]
        await publish(
            session,
            contract.RectificationOverdue(
                rectification_id=str(rect.id), rating_id=str(rect.rating_id), department=rect.department, due=rect.due
            ),
        )
    return len(rows)
