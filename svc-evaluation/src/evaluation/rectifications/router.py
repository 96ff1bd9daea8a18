"""Rectifications of bad ratings: the department replies or appeals, the rater confirms or rejects, a
supervisor decides appeals; each sees only what concerns them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from evaluation import access
from evaluation.deps import ContextDep
from evaluation.domain import RectificationStatus, is_overdue
from evaluation.errors import RectificationNotFound
from evaluation.models import Rectification
from evaluation.rectifications import service
from evaluation.rectifications.schemas import (
    AppealCreate,
    AppealDecision,
    Feedback,
    RectificationPage,
    RectificationRead,
    Rejection,
    ReplyCreate,
)
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.policy import Applicant

router = APIRouter(prefix="/v1/rectifications", tags=["rectifications"])
RATER = "rater"  # the history shows the department what the rater did, not who the rater is
Reader = Annotated[Principal, scoped(access.RATINGS_READ)]
Rater = Annotated[Principal, scoped(access.RATINGS_WRITE)]
Staff = Annotated[Principal, scoped(access.RECTIFICATIONS_WRITE)]


def rect_read(rect: Rectification, context: ContextDep) -> RectificationRead:
    return RectificationRead(
        id=rect.id,
        rating_id=rect.rating_id,
        department=rect.department,
        region=rect.region,
        status=rect.status,
        due=rect.due,
        overdue=rect.status == RectificationStatus.OPEN and is_overdue(due=rect.due, now=context.now()),
        opened_at=rect.opened_at,
        verification=rect.verification,
        measures=rect.measures,
        reply=rect.reply,
        replied_at=rect.replied_at,
        replied_on_time=rect.replied_on_time,
        rejections=rect.rejections,
        rater_feedback=rect.rater_feedback,
        confirmed_at=rect.confirmed_at,
        appeal_reason=rect.appeal_reason,
        appeal_decision=rect.appeal_decision,
        decision_note=rect.decision_note,
        history=rect.history,
    )


def rater_of(rect: Rectification) -> Applicant:
    return access.owner(rect.rater_kind, rect.rater_subject, rect.rater_enterprise)


async def _load(
    session: SessionDep, principal: Principal, rect_id: uuid.UUID, *, lock: bool, scope: str = access.RATINGS_READ
) -> Rectification:
    """The rectification if the caller may see it (404 otherwise); ``scope``: the operation's, for the rater."""
    rect = await service.get_rectification(session, rect_id, lock=lock)
    if not access.may_read(principal, rater_of(rect), department=rect.department, region=rect.region, scope=scope):
        raise RectificationNotFound()
    return rect


def _ensure_rater(principal: Principal, rect: Rectification) -> None:
    access.ensure_owner(
        principal, rater_of(rect), scope=access.RATINGS_WRITE, what="only the rater may confirm or reject the reply"
    )


@router.get("", response_model=RectificationPage, summary="Rectifications the caller may see, newest first")
async def list_rectifications(
    session: SessionDep,
    principal: Reader,
    context: ContextDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: RectificationStatus | None = None,
    overdue: Annotated[bool | None, Query(description="only those past their due day and unanswered")] = None,
) -> RectificationPage:
    rater = (Rectification.rater_kind, Rectification.rater_subject, Rectification.rater_enterprise)
    where = access.visible(principal, owner=rater, department=Rectification.department, region=Rectification.region)
    if status is not None:
        where.append(Rectification.status == str(status))
    if overdue is True:
        where.append(service.overdue_condition(context.now()))
    rows = await service.list_rectifications(session, where=where, limit=limit + 1, after=read_time_id_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    return RectificationPage(
        items=[rect_read(r, context) for r in page],
        next_cursor=time_id_cursor(page[-1].opened_at, page[-1].id) if more else None,
    )


@router.get("/{rect_id}", response_model=RectificationRead, summary="One rectification with its history")
async def get_rectification(
    rect_id: uuid.UUID, session: SessionDep, principal: Reader, context: ContextDep
) -> RectificationRead:
    return rect_read(await _load(session, principal, rect_id, lock=False), context)


@router.post("/{rect_id}/reply", response_model=RectificationRead, summary="Reply to the rater (the department)")
async def reply(
    rect_id: uuid.UUID, reply_in: ReplyCreate, session: SessionDep, principal: Staff, context: ContextDep
) -> RectificationRead:
    rect = await _load(session, principal, rect_id, lock=True, scope=access.RECTIFICATIONS_WRITE)
    access.ensure_department_staff(principal, department=rect.department, region=rect.region)
    service.reply(
        rect,
        verification=reply_in.verification,
        measures=reply_in.measures,
        text=reply_in.reply,
        actor=principal.subject,
        now=context.now(),
    )
    return rect_read(rect, context)


@router.post("/{rect_id}/confirm", response_model=RectificationRead, summary="Accept the reply (the rater)")
async def confirm(
    rect_id: uuid.UUID, body: Feedback, session: SessionDep, principal: Rater, context: ContextDep
) -> RectificationRead:
    rect = await _load(session, principal, rect_id, lock=True, scope=access.RATINGS_WRITE)
    _ensure_rater(principal, rect)
    service.confirm(rect, feedback=body.feedback, actor=RATER, now=context.now())
    return rect_read(rect, context)


@router.post("/{rect_id}/reject", response_model=RectificationRead, summary="Reject the reply (the rater)")
async def reject(
    rect_id: uuid.UUID, body: Rejection, session: SessionDep, principal: Rater, context: ContextDep
) -> RectificationRead:
    rect = await _load(session, principal, rect_id, lock=True, scope=access.RATINGS_WRITE)
    _ensure_rater(principal, rect)
    service.reject(rect, feedback=body.feedback, actor=RATER, now=context.now())
    return rect_read(rect, context)


@router.post(
    "/{rect_id}/appeal", response_model=RectificationRead, summary="Appeal a malicious rating (the department)"
)
async def appeal(
    rect_id: uuid.UUID, body: AppealCreate, session: SessionDep, principal: Staff, context: ContextDep
) -> RectificationRead:
    rect = await _load(session, principal, rect_id, lock=True, scope=access.RECTIFICATIONS_WRITE)
    access.ensure_department_staff(principal, department=rect.department, region=rect.region)
    service.appeal(rect, reason=body.reason, actor=principal.subject, now=context.now())
    return rect_read(rect, context)


@router.post("/{rect_id}/appeal-decision", response_model=RectificationRead, summary="Decide an appeal (a supervisor)")
async def decide_appeal(
    rect_id: uuid.UUID, body: AppealDecision, session: SessionDep, principal: Staff, context: ContextDep
) -> RectificationRead:
    rect = await _load(session, principal, rect_id, lock=True, scope=access.RECTIFICATIONS_WRITE)
    access.ensure_supervisor(principal, rect.region)
    await service.decide(
        session, rect, upheld=body.decision == "upheld", note=body.note, actor=principal.subject, now=context.now()
    )
    return rect_read(rect, context)
