"""``/v1/tasks``: the staff inbox, claiming, releasing and completing tasks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from gov_common.auth import Principal, require, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_standards.china_time import china_date
from workflow import access
from workflow.calendars.service import load as load_calendar
from workflow.cases.schemas import CaseRead, case_read
from workflow.cases.service import OPEN_TASK
from workflow.deps import ClockDep
from workflow.errors import OutOfScope
from workflow.models import Case, Task
from workflow.tasks import service
from workflow.tasks.schemas import TaskComplete, TaskPage, TaskRead

router = APIRouter(prefix="/v1", tags=["tasks"])
# Staff only (the scope is checked first, in the route's dependencies).
Staff = Annotated[Principal, Depends(require(kinds=("staff",)))]
READ = [scoped(access.CASES_READ)]
HANDLE = [scoped(access.CASES_HANDLE)]
TaskStatus = Annotated[str | None, Query(pattern="^(open|claimed|completed|cancelled)$")]


def _task_read(task: Task, case: Case, today: date) -> TaskRead:
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
    conditions = access.actionable_tasks(principal)
    if conditions is None:
        raise OutOfScope("a staff token without department and region sees no tasks")
    stmt = sa.select(Task, Case).join(Case, Case.id == Task.case_id).where(*conditions)
    # Literal statuses, not parameters: a cached generic plan can then prove ix_task_open's predicate too.
    states = (status,) if status else OPEN_TASK
    stmt = stmt.where(Task.status.in_(sa.bindparam("states", states, expanding=True, literal_execute=True)))
    if mine:
        stmt = stmt.where(Task.assignee == principal.subject)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(Task.created_at, Task.id) > after)
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
    done = service.Completion(
        action=body.action,
        opinion=body.opinion,
        reason=body.reason,
        legal_basis=body.legal_basis,
        missing=[m.model_dump() for m in body.missing] if body.missing else None,
    )
    case = await service.complete(
        session, task_id=task_id, principal=principal, done=done, calendar=await load_calendar(session), now=clock.now()
    )
    return case_read(case, staff=access.sees_as_staff(principal, case))
