"""``/v1/cases``: cases, their trace and its verification, and taking a case back from smart approval.
(The staff inbox and task actions are ``/v1/tasks``, in :mod:`workflow.tasks.router`.)"""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from gov_common.auth import Principal, require, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from workflow import access, trace
from workflow.calendars.service import load as load_calendar
from workflow.cases import service
from workflow.cases.schemas import CasePage, CaseRead, TraceEntryRead, TraceRead, VerificationRead, case_read
from workflow.deps import ClockDep
from workflow.errors import CaseNotFound, OutOfScope
from workflow.models import Case

router = APIRouter(prefix="/v1", tags=["cases"])
# Staff only (the scope is checked first, in the route's dependencies).
Staff = Annotated[Principal, Depends(require(kinds=("staff",)))]
Reader = Annotated[Principal, scoped(access.CASES_READ)]
READ = [scoped(access.CASES_READ)]
HANDLE = [scoped(access.CASES_HANDLE)]


def _case_read(case: Case, principal: Principal) -> CaseRead:
    return case_read(case, staff=access.sees_as_staff(principal, case))


async def _visible_case(session: SessionDep, case_id: uuid.UUID, principal: Principal) -> Case:
    case = await session.get(Case, case_id)
    if case is None or not await service.may_see_case(session, principal, case):
        raise CaseNotFound()
    return case


@router.get("/cases", response_model=CasePage)
async def list_cases(
    session: SessionDep,
    principal: Reader,
    status: str | None = None,
    accepted_here: Annotated[
        bool, Query(description="异地代收: the cases my department's windows accepted for other regions instead")
    ] = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> CasePage:
    """Applicants: their own cases. Staff: their department's cases in their region subtree (with
    ``accepted_here``: those their department's windows accepted for other regions' departments); supervisors:
    every case in their region subtree."""
    conditions = access.accepted_cases(principal) if accepted_here else access.visible_cases(principal)
    if conditions is None:
        raise OutOfScope("this caller has no cases to list")
    stmt = sa.select(Case).where(*conditions)
    if status:
        stmt = stmt.where(Case.status == status)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(Case.opened_at, Case.id) > after)
    rows = list(await session.scalars(stmt.order_by(Case.opened_at, Case.id).limit(limit + 1)))
    nxt = time_id_cursor(rows[limit - 1].opened_at, rows[limit - 1].id) if len(rows) > limit else None
    return CasePage(items=[_case_read(c, principal) for c in rows[:limit]], next_cursor=nxt)


@router.get("/cases/{case_id}", response_model=CaseRead)
async def get_case(case_id: uuid.UUID, session: SessionDep, principal: Reader) -> CaseRead:
    """A case its applicant, its department's staff or a supervisor of its region may see (404 otherwise)."""
    return _case_read(await _visible_case(session, case_id, principal), principal)


@router.get("/cases/{case_id}/siblings", response_model=CasePage)
async def get_siblings(case_id: uuid.UUID, session: SessionDep, principal: Reader) -> CasePage:
    """The other cases of the bundle application (一件事) this case is one part of, each as its status only
    (no applicant data: another department's case), in the order they were opened; empty for a case of no
    bundle. For whoever may see this case (404 otherwise)."""
    case = await _visible_case(session, case_id, principal)
    if case.bundle_id is None:
        return CasePage(items=[], next_cursor=None)
    rows = await session.scalars(
        sa.select(Case)
        .where(Case.bundle_id == case.bundle_id, Case.id != case.id)
        .order_by(Case.opened_at, Case.id)
        .limit(50)  # a bundle has a handful of items
    )
    return CasePage(items=[case_read(c, staff=False) for c in rows], next_cursor=None)


@router.get("/cases/{case_id}/trace", response_model=TraceRead)
async def get_trace(case_id: uuid.UUID, session: SessionDep, principal: Reader) -> TraceRead:
    """Every transition in order. Applicants see what happened and why, without staff identities."""
    case = await _visible_case(session, case_id, principal)
    staff = access.sees_as_staff(principal, case)
    entries = [
        TraceEntryRead(
            seq=e.seq,
            at=e.at,
            action=e.action,
            role=e.role,
            department=e.department,
            opinion=e.opinion,
            state_before=e.state_before,
            state_after=e.state_after,
            details=e.details,
            actor=e.actor if staff or e.actor_kind not in ("staff",) else None,
            actor_kind=e.actor_kind,
            hash=e.hash if staff else None,
            prev_hash=e.prev_hash if staff else None,
        )
        for e in await trace.entries(session, case.id)
    ]
    return TraceRead(case_id=case.id, entries=entries)


@router.get("/cases/{case_id}/trace/verification", response_model=VerificationRead, dependencies=READ)
async def verify_trace(case_id: uuid.UUID, session: SessionDep, principal: Staff) -> VerificationRead:
    """Recompute the case's hash chain: an edited, inserted or deleted entry makes it invalid."""
    case = await _visible_case(session, case_id, principal)
    verdict = await trace.verify(session, case)
    return VerificationRead(
        case_id=case.id,
        valid=verdict.valid,
        entries=verdict.entries,
        first_bad_seq=verdict.first_bad_seq,
        problem=verdict.problem,
        head_hash=case.trace_head,
    )


@router.post("/cases/{case_id}/take-back", response_model=CaseRead, dependencies=HANDLE)
async def take_back(case_id: uuid.UUID, session: SessionDep, principal: Staff, clock: ClockDep) -> CaseRead:
    """An approver of the case's department takes it back from smart approval: a person decides it."""
    case = await _visible_case(session, case_id, principal)
    if not access.is_staff_of(principal, case, "approver"):
        raise OutOfScope("approvers of the case's department only", required_role="approver")
    locked = await service.lock_case(session, case.id)
    assert locked is not None
    calendar = await load_calendar(session)
    await service.take_back(session, case=locked, principal=principal, calendar=calendar, now=clock.now())
    return _case_read(locked, principal)
