"""``/v1/tasks``: the staff inbox, claiming, releasing and completing tasks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

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
from workflow.tasks.schemas import ItemCount, TaskComplete, TaskCounts, TaskPage, TaskRead

router = APIRouter(prefix="/v1", tags=["tasks"])
# Staff only (the scope is checked first, in the route's dependencies).
Staff = Annotated[Principal, Depends(require(kinds=("staff",)))]
READ = [scoped(access.CASES_READ)]
HANDLE = [scoped(access.CASES_HANDLE)]
TaskStatus = Annotated[str | None, Query(pattern="^(open|claimed|completed|cancelled)$")]
SLA_LEVELS = ("green", "yellow", "red")


@dataclass
class InboxFilter:
    """The inbox's filters (query parameters), shared by the list and its counts. Every one narrows what
    :func:`workflow.access.actionable_tasks` already allows: no filter widens what a staff member sees."""

    item_code: Annotated[
        str | None, Query(min_length=1, max_length=100, description="the item's implementation code")
    ] = None
    tracking_number: Annotated[str | None, Query(min_length=1, max_length=64, description="exact")] = None
    case_id: Annotated[uuid.UUID | None, Query(description="the tasks of one case")] = None
    applicant: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="the applicant's masked name as lists show it (its start, e.g. 张) or the applying"
            " enterprise's unified social credit code (exact)",
        ),
    ] = None
    sla_level: Annotated[str | None, Query(pattern="^(green|yellow|red)$", description="the deadline colour")] = None

    def conditions(self) -> list[Any]:
        out: list[Any] = []
        if self.item_code:
            out.append(Case.item_code == self.item_code)
        if self.tracking_number:
            out.append(Case.tracking_number == self.tracking_number)
        if self.case_id:
            out.append(Task.case_id == self.case_id)
        if self.applicant:
            out.append(
                sa.or_(
                    Case.applicant_name_masked.startswith(self.applicant, autoescape=True),
                    Case.applicant_enterprise == self.applicant,
                )
            )
        if self.sla_level:
            out.append(Case.sla_level == self.sla_level)
        return out


Filters = Annotated[InboxFilter, Depends()]
NO_FILTER = InboxFilter()


def _inbox_conditions(principal: Principal) -> list[Any]:
    conditions = access.actionable_tasks(principal)
    if conditions is None:
        raise OutOfScope("a staff token without department and region sees no tasks")
    return conditions


def _task_read(task: Task, case: Case, today: date) -> TaskRead:
    return TaskRead(
        id=task.id,
        case_id=task.case_id,
        tracking_number=case.tracking_number,
        item_code=case.item_code,
        item_name=case.item_name,
        case_status=case.status,
        sla_level=case.sla_level,
        applicant_name_masked=case.applicant_name_masked,
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
    filters: Filters = NO_FILTER,
) -> TaskPage:
    """Tasks of my roles in my department, inside my region subtree (open and claimed by default);
    ``mine=true``: the ones I have claimed. Filters: the item, a tracking number, a case, the applicant,
    the deadline colour (``sla_level``); each only narrows the list."""
    conditions = _inbox_conditions(principal)
    stmt = sa.select(Task, Case).join(Case, Case.id == Task.case_id).where(*conditions, *filters.conditions())
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


@router.get("/tasks/counts", response_model=TaskCounts, dependencies=READ)
async def inbox_counts(session: SessionDep, principal: Staff, filters: Filters) -> TaskCounts:
    """How many open and claimed tasks my inbox holds (the same tasks and filters as ``GET /v1/tasks``):
    open, claimed, claimed by me, per deadline colour, per step kind and per item."""
    conditions = _inbox_conditions(principal)
    mine = sa.func.coalesce(Task.assignee == principal.subject, False)
    stmt = (
        sa.select(
            Task.status, mine, Case.sla_level, Task.kind, Case.item_code, sa.func.max(Case.item_name), sa.func.count()
        )
        .join(Case, Case.id == Task.case_id)
        .where(*conditions, *filters.conditions(), Task.status.in_(OPEN_TASK))
        .group_by(Task.status, mine, Case.sla_level, Task.kind, Case.item_code)
    )
    counts = TaskCounts(
        open=0, claimed=0, claimed_by_me=0, by_sla_level=dict.fromkeys(SLA_LEVELS, 0), by_kind={}, by_item=[]
    )
    items: dict[str, ItemCount] = {}
    for status, by_me, level, kind, code, name, n in (await session.execute(stmt)).all():
        if status == "open":
            counts.open += n
        else:
            counts.claimed += n
            counts.claimed_by_me += n if by_me else 0
        counts.by_sla_level[level] = counts.by_sla_level.get(level, 0) + n
        counts.by_kind[kind] = counts.by_kind.get(kind, 0) + n
        items.setdefault(code, ItemCount(item_code=code, item_name=name, count=0)).count += n
    counts.by_item = sorted(items.values(), key=lambda i: (i.item_name, i.item_code))
    return counts


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
