"""Consultations and complaints: ask (citizens, enterprises), answer (handling staff of the department),
rate the answer (the asker); each sees only what concerns them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Request
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
from evaluation.errors import ConsultationNotFound
from evaluation.models import Consultation, IdempotencyRecord
from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.calendars import load_calendar
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.policy import Applicant

router = APIRouter(prefix="/v1/consultations", tags=["consultations"])
Asker = Annotated[Principal, scoped(access.CONSULTATIONS_WRITE)]
Reader = Annotated[Principal, scoped(access.RATINGS_READ)]
Staff = Annotated[Principal, scoped(access.RECTIFICATIONS_WRITE)]


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
        hotline_number=row.hotline_number,
    )


def asker_of(row: Consultation) -> Applicant:
    return access.owner(row.asker_kind, row.asker_subject, row.asker_enterprise)


async def _load(
    session: SessionDep,
    principal: Principal,
    consultation_id: uuid.UUID,
    *,
    lock: bool,
    scope: str = access.RATINGS_READ,
) -> Consultation:
    """The consultation if the caller may see it (404 otherwise); ``scope``: the operation's, for the asker."""
    row = await service.get_consultation(session, consultation_id, lock=lock)
    if not access.may_read(principal, asker_of(row), department=row.department, region=row.region, scope=scope):
        raise ConsultationNotFound()
    return row


@router.post(
    "",
    status_code=201,
    response_model=ConsultationRead,
    summary="Ask a question or file a complaint about an item or a department (citizens, enterprises)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_consultation(
    consultation_in: ConsultationCreate,
    session: SessionDep,
    principal: Asker,
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    days = (
        context.settings.complaint_working_days
        if consultation_in.kind == "complaint"
        else context.settings.consultation_working_days
    )
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="consultations.create",
        key=idempotency_key,
        body=consultation_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/consultations/{claim.record.body['id']}")
    row = await service.create_consultation(
        session,
        principal=principal,
        consultation_in=consultation_in,
        now=context.now(),
        calendar=await load_calendar(session),
        working_days=days,
    )
    body = consultation_read(row).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/consultations/{row.id}")


@router.get("", response_model=ConsultationPage, summary="Consultations the caller may see, newest first")
async def list_consultations(
    session: SessionDep,
    principal: Reader,
    limit: Limit = 20,
    cursor: Cursor = None,
    kind: Literal["consultation", "complaint"] | None = None,
    answered: bool | None = None,
) -> ConsultationPage:
    asker = (Consultation.asker_kind, Consultation.asker_subject, Consultation.asker_enterprise)
    where = access.visible(principal, owner=asker, department=Consultation.department, region=Consultation.region)
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
async def get_consultation(consultation_id: uuid.UUID, session: SessionDep, principal: Reader) -> ConsultationRead:
    return consultation_read(await _load(session, principal, consultation_id, lock=False))


@router.post(
    "/{consultation_id}/answer",
    response_model=ConsultationRead,
    summary="Answer (the department), for consultations asked before 12345 took them over (others: 409)",
)
async def answer(
    consultation_id: uuid.UUID, body: AnswerCreate, session: SessionDep, principal: Staff, context: ContextDep
) -> ConsultationRead:
    row = await _load(session, principal, consultation_id, lock=True, scope=access.RECTIFICATIONS_WRITE)
    access.ensure_department_staff(principal, department=row.department, region=row.region)
    service.answer(row, text=body.answer, actor=principal.subject, now=context.now())
    return consultation_read(row)


@router.post(
    "/{consultation_id}/satisfaction", response_model=ConsultationRead, summary="Rate the answer once (the asker)"
)
async def satisfaction(
    consultation_id: uuid.UUID, body: SatisfactionCreate, session: SessionDep, principal: Asker, context: ContextDep
) -> ConsultationRead:
    row = await _load(session, principal, consultation_id, lock=True, scope=access.CONSULTATIONS_WRITE)
    access.ensure_owner(
        principal, asker_of(row), scope=access.CONSULTATIONS_WRITE, what="only the asker rates the answer"
    )
    await service.rate(session, row, level=body.level, now=context.now())
    return consultation_read(row)
