"""Consultations and complaints (咨询投诉): routed to a department, answered by a due day counted in working
days, visible to the asker, followed by one satisfaction question. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.consultations.schemas import ConsultationCreate
from evaluation.errors import (
    AlreadyAnswered,
    AlreadyJudged,
    AnsweredInHotline,
    CannotRoute,
    ConsultationNotFound,
    NotAnswered,
)
from evaluation.models import Consultation, EvaluatedCase, ServiceItem
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_contracts import evaluation as contract
from gov_contracts import publish
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date


async def route(session: AsyncSession, *, item_code: str, region: str) -> str:
    """The department that implements ``item_code`` (an implementation code, or a basic code in ``region``)
    according to the catalog; else the one that handled it most recently in ``region``."""
    item = await session.get(ServiceItem, item_code)
    if item is not None and not item.withdrawn:
        return item.department
    department = await session.scalar(
        sa.select(ServiceItem.department)
        .where(ServiceItem.basic_code == item_code, ServiceItem.region == region, ServiceItem.withdrawn.is_(False))
        .limit(1)
    )
    if department is None:
        department = await session.scalar(
            sa.select(EvaluatedCase.department)
            .where(EvaluatedCase.item_code == item_code, EvaluatedCase.region == region)
            .order_by(EvaluatedCase.completed_at.desc())
            .limit(1)
        )
    if department is None:
        raise CannotRoute("no department is known for that item in that region; name the department")
    return department


async def create_consultation(
    session: AsyncSession,
    *,
    principal: Principal,
    consultation_in: ConsultationCreate,
    now: datetime,
    calendar: WorkingCalendar,
    working_days: int,
) -> Consultation:
    if not (principal.kind == "citizen" or (principal.kind == "enterprise" and principal.enterprise)):
        raise Forbidden("citizens and enterprises' agents ask; staff answer")
    department = consultation_in.department or await route(
        session, item_code=consultation_in.item_code or "", region=consultation_in.region
    )
    today = china_date(now)
    row = Consultation(
        id=uuid.uuid4(),
        kind=consultation_in.kind,
        asker_subject=principal.subject,
        asker_kind=principal.kind,
        asker_enterprise=principal.enterprise if principal.kind == "enterprise" else None,
        item_code=consultation_in.item_code,
        department=department,
        region=consultation_in.region,
        title=consultation_in.title,
        question=consultation_in.question,
        asked_at=now,
        asked_on=today,
        asked_month=today.strftime("%Y-%m"),
        due=calendar.add_working_days(today, working_days),
    )
    session.add(row)
    await session.flush()
    # One flow (小热线融合): the hotline makes it a work order for the department; its answer comes back.
    await _forward(session, row)
    return row


async def _forward(session: AsyncSession, row: Consultation) -> None:
    row.forwarded = True
    await publish(
        session,
        contract.ConsultationSubmitted(
            consultation_id=str(row.id),
            kind="complaint" if row.kind == "complaint" else "consultation",
            title=row.title,
            question=row.question,
            region=row.region,
            department=row.department,
            item_code=row.item_code,
            asker_subject=row.asker_subject,
            asker_kind="enterprise" if row.asker_kind == "enterprise" else "citizen",
            asked_at=row.asked_at,
        ),
    )


async def forward_earlier(session: AsyncSession, *, batch: int = 100) -> int:
    """Hand the hotline the unanswered consultations asked before it took them over (the data's migration
    into one flow), a batch at a time; answered ones stay as they are. Returns how many."""
    query = (
        sa.select(Consultation)
        .where(Consultation.forwarded.is_(False), Consultation.answered_at.is_(None))
        .order_by(Consultation.asked_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    rows = list(await session.scalars(query))
    for row in rows:
        await _forward(session, row)
    return len(rows)


async def get_consultation(session: AsyncSession, consultation_id: uuid.UUID, *, lock: bool = False) -> Consultation:
    query = sa.select(Consultation).where(Consultation.id == consultation_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise ConsultationNotFound()
    return row


def answer(row: Consultation, *, text: str, actor: str, now: datetime) -> Consultation:
    """The department's answer given here: only for consultations asked before the hotline took them over."""
    if row.forwarded:
        raise AnsweredInHotline(hotline_number=row.hotline_number)
    return _answer(row, text=text, actor=actor, now=now)


def _answer(row: Consultation, *, text: str, actor: str, now: datetime) -> Consultation:
    if row.answered_at is not None:
        raise AlreadyAnswered()
    row.answer, row.answered_by, row.answered_at = text, actor, now
    row.answered_on_time = china_date(now) <= row.due
    return row


def answered_in_hotline(
    row: Consultation, *, order_id: uuid.UUID, number: str, text: str, department: str, now: datetime
) -> Consultation:
    """The answer of the work order the hotline made of it; a later answer (the order reopened and answered
    again, after a bad rating) replaces an earlier one, whose punctuality stands, and the asker rates the new
    answer (the earlier rating is the order's first callback in the hotline)."""
    row.hotline_order_id, row.hotline_number = order_id, number
    if row.answered_at is None:
        return _answer(row, text=text, actor=f"12345:{department}", now=now)
    if now > row.answered_at:
        row.answer, row.answered_by, row.answered_at = text, f"12345:{department}", now
        row.satisfaction = None
    return row


def judge(row: Consultation, *, level: int) -> Consultation:
    if row.answered_at is None:
        raise NotAnswered()
    if row.satisfaction is not None:
        raise AlreadyJudged()
    row.satisfaction = level
    return row


async def rate(session: AsyncSession, row: Consultation, *, level: int, now: datetime) -> Consultation:
    """The asker's one rating of the answer; an answer the hotline gave (a work order) hears of it as that
    order's callback (回访)."""
    judge(row, level=level)
    if row.hotline_order_id is not None:
        await publish(
            session,
            contract.ConsultationRated(
                consultation_id=str(row.id), order_id=str(row.hotline_order_id), level=level,
                asker_subject=row.asker_subject, rated_at=now,
            ),
        )  # fmt: skip
    return row


async def list_consultations(
    session: AsyncSession,
    *,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Consultation]:
    query = sa.select(Consultation).where(*where)
    if after is not None:
        at, last = after
        query = query.where(
            sa.or_(Consultation.asked_at < at, sa.and_(Consultation.asked_at == at, Consultation.id < last))
        )
    query = query.order_by(Consultation.asked_at.desc(), Consultation.id.desc()).limit(limit)
    return list(await session.scalars(query))
