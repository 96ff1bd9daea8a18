"""Consultations and complaints: ask (citizens, enterprises), answer (handling staff of the department),
rate the answer (the asker); each sees only what concerns them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from evaluation import access
from evaluation.consultations import service
from evaluation.consultations.schemas import (
    AnswerCreate,
    ConsultationCreate,
    ConsultationPage,
    ConsultationRead,
    SatisfactionCreate,
)
from evaluation.deps import ContextDep
from evaluation.errors import ConsultationNotFound, NotYourRecord
from evaluation.models import Consultation
from gov_common.auth import Principal, PrincipalDep, require
from gov_common.deps import SessionDep
from gov_common.idempotency import IdempotencyKey, replayed
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])
AskerDep = Annotated[Principal, Depends(require(kinds=("citizen", "enterprise")))]


def consultation_read(row: Consultation) -> ConsultationRead:
    return ConsultationRead(
        id=row.id,
        kind=row.kind,
        title=row.title,
        question=row.question,
        item_code=row.item_code,
        department=row.department,
        region=row.region,
        asked_at=row.asked_at,
        due=row.due,
        answer=row.answer,
        answered_at=row.answered_at,
        answered_on_time=row.answered_on_time,
        satisfaction=row.satisfaction,
    )


def can_read(principal: Principal, row: Consultation) -> bool:
    if principal.kind in access.APPLICANT_KINDS:
        return row.asker_subject == principal.subject
    return access.can_read_department_record(principal, department=row.department, region=row.region)


async def _load(session: SessionDep, principal: Principal, consultation_id: uuid.UUID, *, lock: bool) -> Consultation:
    row = await service.get_consultation(session, consultation_id, lock=lock)
    if not can_read(principal, row):
        raise ConsultationNotFound()
    return row


@router.post(
    "",
    status_code=201,
    response_model=ConsultationRead,
    responses=replayed(ConsultationRead),
    summary="Ask a question or file a complaint about an item or a department (citizens, enterprises)",
)
async def create_consultation(
    consultation_in: ConsultationCreate,
    session: SessionDep,
    principal: AskerDep,
    context: ContextDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    days = (
        context.settings.complaint_working_days
        if consultation_in.kind == "complaint"
        else context.settings.consultation_working_days
    )
    row, created = await service.create_consultation(
        session,
        principal=principal,
        consultation_in=consultation_in,
        idempotency_key=idempotency_key,
        now=context.now(),
        calendar=context.calendar,
        working_days=days,
    )
    return JSONResponse(consultation_read(row).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("", response_model=ConsultationPage, summary="Consultations the caller may see, newest first")
async def list_consultations(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    kind: Literal["consultation", "complaint"] | None = None,
    answered: bool | None = None,
) -> ConsultationPage:
    where = access.visible(
        principal, owner=Consultation.asker_subject, department=Consultation.department, region=Consultation.region
    )
    if kind is not None:
        where.append(Consultation.kind == kind)
    if answered is not None:
        where.append(Consultation.answered_at.is_not(None) if answered else Consultation.answered_at.is_(None))
    rows = await service.list_consultations(session, where=where, limit=limit + 1, after=read_time_id_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    return ConsultationPage(
        items=[consultation_read(r) for r in page],
        next_cursor=time_id_cursor(page[-1].asked_at, page[-1].id) if more else None,
    )


@router.get("/{consultation_id}", response_model=ConsultationRead, summary="One consultation or complaint")
async def get_consultation(
    consultation_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ConsultationRead:
    return consultation_read(await _load(session, principal, consultation_id, lock=False))


@router.post("/{consultation_id}/answer", response_model=ConsultationRead, summary="Answer (the department)")
async def answer(
    consultation_id: uuid.UUID, body: AnswerCreate, session: SessionDep, principal: PrincipalDep, context: ContextDep
) -> ConsultationRead:
    row = await _load(session, principal, consultation_id, lock=True)
    access.ensure_department_staff(principal, department=row.department, region=row.region)
    service.answer(row, text=body.answer, actor=principal.subject, now=context.now())
    return consultation_read(row)


@router.post(
    "/{consultation_id}/satisfaction", response_model=ConsultationRead, summary="Rate the answer once (the asker)"
)
async def satisfaction(
    consultation_id: uuid.UUID, body: SatisfactionCreate, session: SessionDep, principal: PrincipalDep
) -> ConsultationRead:
    row = await _load(session, principal, consultation_id, lock=True)
    if principal.kind not in access.APPLICANT_KINDS or principal.subject != row.asker_subject:
        raise NotYourRecord("only the asker rates the answer")
    service.judge(row, level=body.level)
    return consultation_read(row)
