"""``/v1/tasks`` (the staff inbox) and ``/v1/cases`` (cases, their trace and its verification)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from gov_common.auth import Principal, require, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.policy import CASE_ROLES, SUPERVISOR, staff_in
from gov_common.regions import region_prefix
from gov_common.workdays import china_date
from workflow import access, trace
from workflow.calendars.service import load as load_calendar
from workflow.cases import service
from workflow.cases.schemas import (
    CasePage,
    CaseRead,
    TaskComplete,
    TaskPage,
    TaskRead,
    TraceEntryRead,
    TraceRead,
    VerificationRead,
)
from workflow.deps import ClockDep
from workflow.errors import CaseNotFound, OutOfScope
from workflow.models import Case, Task

router = APIRouter(prefix="/v1", tags=["cases"])
# Staff only (the scope is checked first, in the route's dependencies).
Staff = Annotated[Principal, Depends(require(kinds=("staff",)))]
Reader = Annotated[Principal, scoped(access.CASES_READ)]
READ = [scoped(access.CASES_READ)]
HANDLE = [scoped(access.CASES_HANDLE)]
TaskStatus = Annotated[str | None, Query(pattern="^(open|claimed|completed|cancelled)$")]


def _task_read(task: Task, case: Case, today: Any) -> TaskRead:
    return TaskRead(
        id=task.id,
        case_id=task.case_id,
        tracking_number=case.tracking_number,
        item_name=case.item_name,
        kind=task.kind,
        name=task.name,
        role=task.role,
        department=task.department,
        region=task.region,
        status=task.status,
        assignee=task.assignee,
        due=task.due,
        overdue=task.status in ("open", "claimed") and today > task.due,
        created_at=task.created_at,
        claimed_at=task.claimed_at,
        completed_at=task.completed_at,
    )


def _case_read(case: Case, principal: Principal) -> CaseRead:
    steps = case.process.get("steps", [])
    staff = access.sees_as_staff(principal, case)
    return CaseRead(
        id=case.id,
        application_id=case.application_id,
        tracking_number=case.tracking_number,
        item_code=case.item_code,
        item_version=case.item_version,
        item_name=case.item_name,
        region=case.region,
        department=case.department,
        department_name=case.department_name,
        status=case.status,
        step=steps[case.step_index]["name"] if case.step_index < len(steps) else None,
        opened_at=case.opened_at,
        deadline=case.deadline,
        clock_stopped=case.paused_since is not None,
        clock_stopped_working_days=case.paused_days,
        sla_level=case.sla_level,
        decision=case.decision,
        closed_at=case.closed_at,
        applicant={
            "subject": case.applicant_subject,
            "kind": case.applicant_kind,
            "enterprise": case.applicant_enterprise,
            "name_masked": case.applicant_name_masked,
            "form": case.form,
            "materials": case.materials,
        }
        if staff
        else None,
    )


@router.get("/tasks", response_model=TaskPage, dependencies=READ)
async def inbox(
    session: SessionDep,
    principal: Staff,
    clock: ClockDep,
    status: TaskStatus = None,
    mine: bool = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> TaskPage:
    """Tasks of my roles in my department, inside my region subtree (open and claimed by default);
    ``mine=true``: the ones I have claimed."""
    if not principal.department or not principal.region:
        raise OutOfScope("a staff token without department and region sees no tasks")
    stmt = (
        sa.select(Task, Case)
        .join(Case, Case.id == Task.case_id)
        .where(
            Task.department == principal.department,
            Task.region.startswith(region_prefix(principal.region)),
            Task.role.in_(sorted(principal.roles)),
        )
    )
    stmt = stmt.where(Task.status == status) if status else stmt.where(Task.status.in_(("open", "claimed")))
    if mine:
        stmt = stmt.where(Task.assignee == principal.subject)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(Task.created_at, Task.id) > sa.tuple_(after[0], after[1]))
    rows = (await session.execute(stmt.order_by(Task.created_at, Task.id).limit(limit + 1))).all()
    today = china_date(clock.now())
    items = [_task_read(t, c, today) for t, c in rows[:limit]]
    nxt = time_id_cursor(rows[limit - 1][0].created_at, rows[limit - 1][0].id) if len(rows) > limit else None
    return TaskPage(items=items, next_cursor=nxt)


async def _task_response(session: SessionDep, task: Task, clock: ClockDep) -> TaskRead:
    case = await session.get(Case, task.case_id)
    assert case is not None
    return _task_read(task, case, china_date(clock.now()))


@router.post("/tasks/{task_id}/claim", response_model=TaskRead, dependencies=HANDLE)
async def claim_task(task_id: uuid.UUID, session: SessionDep, principal: Staff, clock: ClockDep) -> TaskRead:
    """Claim an open task of my role, department and region; exactly one of concurrent claims wins (409
    ``task-already-claimed`` for the others)."""
    task = await service.claim(session, task_id=task_id, principal=principal, now=clock.now())
    return await _task_response(session, task, clock)


@router.post("/tasks/{task_id}/release", response_model=TaskRead, dependencies=HANDLE)
async def release_task(task_id: uuid.UUID, session: SessionDep, principal: Staff, clock: ClockDep) -> TaskRead:
    """Give a task I claimed back to the department's inbox."""
    task = await service.release(session, task_id=task_id, principal=principal)
    return await _task_response(session, task, clock)


@router.post("/tasks/{task_id}/complete", response_model=CaseRead, dependencies=HANDLE)
async def complete_task(
    task_id: uuid.UUID, body: TaskComplete, session: SessionDep, principal: Staff, clock: ClockDep
) -> CaseRead:
    """Complete a task I claimed: accept / refuse / request_supplement (acceptance), complete (review,
    countersign, delivery), approve / reject (decision). Returns the case as it now stands."""
    calendar = await load_calendar(session)
    done = service.Completion(
        action=body.action,
        opinion=body.opinion,
        reason=body.reason,
        legal_basis=body.legal_basis,
        missing=[m.model_dump() for m in body.missing] if body.missing else None,
    )
    case = await service.complete(
        session, task_id=task_id, principal=principal, done=done, calendar=calendar, now=clock.now()
    )
    return _case_read(case, principal)


async def _visible_case(session: SessionDep, case_id: uuid.UUID, principal: Principal) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    if not access.may_see(principal, case) and not await _countersigns(session, case, principal):
        raise CaseNotFound()
    return case


async def _countersigns(session: SessionDep, case: Case, principal: Principal) -> bool:
    """Staff of a department that has (or had) a task on the case, e.g. countersigning, may see it."""
    if not staff_in(principal, department=principal.department, region=case.region):
        return False
    task_id = await session.scalar(
        sa.select(Task.id).where(Task.case_id == case.id, Task.department == principal.department).limit(1)
    )
    return task_id is not None


@router.get("/cases", response_model=CasePage)
async def list_cases(
    session: SessionDep, principal: Reader, status: str | None = None, limit: Limit = 20, cursor: Cursor = None
) -> CasePage:
    """Applicants: their own cases. Staff: their department's cases in their region subtree; supervisors:
    every case in their region subtree."""
    # The SQL form of access.may_see (gov_common.policy), row by row the same answer.
    stmt = sa.select(Case)
    if principal.kind == "citizen":
        stmt = stmt.where(Case.applicant_subject == principal.subject, Case.applicant_kind == "citizen")
    elif principal.kind == "enterprise" and principal.enterprise:
        stmt = stmt.where(Case.applicant_kind == "enterprise", Case.applicant_enterprise == principal.enterprise)
    elif principal.kind == "staff" and principal.region and SUPERVISOR in principal.roles:
        stmt = stmt.where(Case.region.startswith(region_prefix(principal.region)))
    elif principal.kind == "staff" and principal.region and principal.department and principal.roles & CASE_ROLES:
        stmt = stmt.where(
            Case.region.startswith(region_prefix(principal.region)), Case.department == principal.department
        )
    else:
        raise OutOfScope("this caller has no cases to list")
    if status:
        stmt = stmt.where(Case.status == status)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(Case.opened_at, Case.id) > sa.tuple_(after[0], after[1]))
    rows = list(await session.scalars(stmt.order_by(Case.opened_at, Case.id).limit(limit + 1)))
    nxt = time_id_cursor(rows[limit - 1].opened_at, rows[limit - 1].id) if len(rows) > limit else None
    return CasePage(items=[_case_read(c, principal) for c in rows[:limit]], next_cursor=nxt)


@router.get("/cases/{case_id}", response_model=CaseRead)
async def get_case(case_id: uuid.UUID, session: SessionDep, principal: Reader) -> CaseRead:
    """A case its applicant, its department's staff or a supervisor of its region may see (404 otherwise)."""
    return _case_read(await _visible_case(session, case_id, principal), principal)


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
    await service.take_back(session, case=locked, principal=principal, now=clock.now())
    return _case_read(locked, principal)
