"""``/v1/cases/{case_id}/notes``: notes on a case (知识共享、互动交流) that the staff handling it leave for each
other: its department's staff in their region subtree, and staff of a department that has (or had) a task on
it. The applicant never sees them, nor does a supervisor who only watches the case."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import AwareDateTime, created
from workflow import access
from workflow.cases import service
from workflow.deps import ClockDep
from workflow.errors import CaseNotFound, NoteNotFound, OutOfScope, TooManyNotes
from workflow.models import Case, CaseNote, IdempotencyRecord, Task

router = APIRouter(prefix="/v1", tags=["cases"])
NOTE_MAX = 2000
MAX_NOTES = 500  # a case's notes are one page: more than this on one case is not a conversation any more


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=NOTE_MAX)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a note needs some text")
        return value.strip()


class NoteRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    author: str = Field(description="the author's account id (identity's staff directory names them)")
    department: str | None
    body: str
    created_at: AwareDateTime


class NotePage(BaseModel):
    items: list[NoteRead]
    next_cursor: str | None = Field(default=None, description="always null: a case's notes come whole")


def note_read(note: CaseNote) -> NoteRead:
    return NoteRead(
        id=note.id,
        case_id=note.case_id,
        author=note.author,
        department=note.department,
        body=note.body,
        created_at=note.created_at,
    )


async def handles(session: SessionDep, principal: Principal, case: Case) -> bool:
    """Staff of the case's department in their region subtree, or of a department with a task on it."""
    if access.is_staff_of(principal, case):
        return True
    if not access.may_see_through_a_task(principal, case):
        return False
    task = await session.scalar(
        sa.select(Task.id).where(Task.case_id == case.id, Task.department == principal.department).limit(1)
    )
    return task is not None


async def handled_case(session: SessionDep, case_id: uuid.UUID, principal: Principal) -> Case:
    """The case, for those who handle it: not found for whoever may not see it, refused for those who see it
    but do not handle it (the applicant, a supervisor)."""
    case = await session.get(Case, case_id)
    if case is None or not await service.may_see_case(session, principal, case):
        raise CaseNotFound()
    if not await handles(session, principal, case):
        raise OutOfScope("notes are for the staff handling the case")
    return case


@router.get(
    "/cases/{case_id}/notes",
    response_model=NotePage,
    summary="The case's notes, oldest first (the staff handling it)",
    dependencies=[scoped(access.CASES_READ)],
)
async def list_notes(
    case_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped(access.CASES_READ)]
) -> NotePage:
    case = await handled_case(session, case_id, principal)
    rows = await session.scalars(
        sa.select(CaseNote)
        .where(CaseNote.case_id == case.id)
        .order_by(CaseNote.created_at, CaseNote.id)
        .limit(MAX_NOTES)
    )
    return NotePage(items=[note_read(n) for n in rows])


@router.get(
    "/cases/{case_id}/notes/{note_id}",
    response_model=NoteRead,
    summary="One note of the case (the staff handling it)",
    dependencies=[scoped(access.CASES_READ)],
)
async def get_note(
    case_id: uuid.UUID,
    note_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.CASES_READ)],
) -> NoteRead:
    case = await handled_case(session, case_id, principal)
    note = await session.get(CaseNote, note_id)
    if note is None or note.case_id != case.id:
        raise NoteNotFound()
    return note_read(note)


@router.post(
    "/cases/{case_id}/notes",
    status_code=201,
    response_model=NoteRead,
    summary="Leave a note on the case (the staff handling it)",
    dependencies=[scoped(access.CASES_HANDLE)],
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def add_note(
    case_id: uuid.UUID,
    note_in: NoteCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.CASES_HANDLE)],
    clock: ClockDep,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    case = await handled_case(session, case_id, principal)
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope="cases.notes.create",
        key=idempotency_key, body={"case_id": str(case.id), **note_in.model_dump(mode="json")},
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/cases/{case.id}/notes/{claim.record.body['id']}")
    count = await session.scalar(sa.select(sa.func.count()).select_from(CaseNote).where(CaseNote.case_id == case.id))
    if (count or 0) >= MAX_NOTES:
        raise TooManyNotes(f"a case holds at most {MAX_NOTES} notes")
    note = CaseNote(
        case_id=case.id,
        author=principal.subject,
        department=principal.department,
        region=principal.region,
        body=note_in.body,
        created_at=clock.now(),
    )
    session.add(note)
    await session.flush()
    body = note_read(note).model_dump(mode="json")
    return created(
        request, idempotency.remember(claim, status_code=201, body=body), f"/v1/cases/{case.id}/notes/{note.id}"
    )
