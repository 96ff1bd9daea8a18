"""Staff tasks: claiming, releasing and completing them. Completing a task is a command to its case (see
:mod:`workflow.cases.domain`); who may see or act on a task is :mod:`workflow.access`'s."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_standards.calendar import WorkingCalendar
from workflow import access
from workflow.cases import domain
from workflow.cases import service as cases
from workflow.cases.domain import Actor, CaseStatus
from workflow.errors import CaseClosed, OutOfScope, TaskAlreadyClaimed, TaskNotClaimable, TaskNotFound, TaskNotYours
from workflow.models import Case, Task


@dataclass(frozen=True)
class Completion:
    """What a staff member sends when completing a task."""

    action: str
    opinion: str
    reason: str | None = None
    legal_basis: str | None = None
    missing: list[dict[str, str]] | None = None


async def get_task(session: AsyncSession, task_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> Task:
    stmt = sa.select(Task).where(Task.id == task_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = await session.scalar(stmt)
    if task is None or not access.may_see_task(principal, task):
        raise TaskNotFound()
    return task


async def claim(session: AsyncSession, *, task_id: uuid.UUID, principal: Principal, now: datetime) -> Task:
    """Claim an open task; of concurrent claims exactly one wins (a conditional update)."""
    task = await get_task(session, task_id, principal)
    if not access.may_act_on(principal, task):
        raise OutOfScope("your role does not act on this step", required_role=task.role)
    result = await session.execute(
        sa.update(Task)
        .where(Task.id == task_id, Task.status == "open", Task.assignee.is_(None))
        .values(status="claimed", assignee=principal.subject, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        await session.refresh(task)
        if task.status == "claimed" and task.assignee == principal.subject:
            return task
        if task.status == "claimed":
            raise TaskAlreadyClaimed()
        raise TaskNotClaimable(current_status=task.status)
    await session.refresh(task)
    return task


async def release(session: AsyncSession, *, task_id: uuid.UUID, principal: Principal) -> Task:
    task = await get_task(session, task_id, principal, lock=True)
    if task.status != "claimed" or task.assignee != principal.subject:
        raise TaskNotYours()
    task.status, task.assignee, task.claimed_at = "open", None, None
    return task


async def _others_open(session: AsyncSession, task: Task) -> int:
    """Tasks of the same step still open or claimed (countersigning departments work in parallel)."""
    rows = await session.scalars(
        sa.select(Task.id)
        .where(
            Task.case_id == task.case_id,
            Task.step_index == task.step_index,
            Task.id != task.id,
            Task.status.in_(cases.OPEN_TASK),
        )
        .with_for_update()
    )
    return len(list(rows))


async def complete(
    session: AsyncSession,
    *,
    task_id: uuid.UUID,
    principal: Principal,
    done: Completion,
    calendar: WorkingCalendar,
    now: datetime,
) -> Case:
    """Complete a claimed task with an action that fits its step; the case moves on."""
    task = await get_task(session, task_id, principal)
    case = await cases.lock_case(session, task.case_id)
    assert case is not None
    await session.refresh(task, with_for_update=True)
    if CaseStatus(case.status) in domain.CLOSED:
        raise CaseClosed(current_status=case.status)
    if task.status != "claimed" or task.assignee != principal.subject:
        raise TaskNotYours()
    actor = Actor(subject=principal.subject, kind="staff", role=task.role, department=principal.department)
    command = domain.staff_command(
        domain.StepKind(task.kind),
        actor,
        action=done.action,
        opinion=done.opinion,
        reason=done.reason,
        legal_basis=done.legal_basis,
        missing=done.missing,
        others_open=await _others_open(session, task),
    )
    domain.target_of(CaseStatus(case.status), command.action)  # refused before the task changes
    task.status, task.completed_at, task.action, task.opinion = "completed", now, done.action, done.opinion
    return await cases.run(session, case, command, calendar=calendar, now=now)
