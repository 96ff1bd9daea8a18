"""Who may see a case or act on a task, in the platform's one access policy (:mod:`gov_common.policy`):
staff of its department inside their region subtree, supervisors of the region subtree, and the applicant
(the citizen, or the applying enterprise's representative and agents holding ``workflow.cases.read``).
Lists use the SQL form of the same predicates, kept here beside them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.policy import CASE_ROLES, SUPERVISOR, Applicant, acts_for_applicant, staff_in, supervisor_of
from gov_standards.regions import region_prefix
from workflow.models import Case, Task

CASES_READ = "workflow.cases.read"
CASES_HANDLE = "workflow.cases.handle"
SUPERVISION = "workflow.supervision.read"
CALENDAR_WRITE = "workflow.calendar.write"


def applicant_of(case: Case) -> Applicant:
    return Applicant(kind=case.applicant_kind, subject=case.applicant_subject, enterprise=case.applicant_enterprise)


def is_applicant_of(principal: Principal, case: Case) -> bool:
    return acts_for_applicant(principal, applicant_of(case), scope=CASES_READ)


def is_staff_of(principal: Principal, case: Case, *roles: str) -> bool:
    """Case-handling staff (or, with ``roles``, staff holding one of them) of the case's department and region."""
    if roles:
        return staff_in(principal, department=case.department, region=case.region, roles=roles)
    return staff_in(principal, department=case.department, region=case.region)


def sees_as_staff(principal: Principal, case: Case) -> bool:
    """Staff of the case or a supervisor of its region: they see the applicant's data and staff identities."""
    return is_staff_of(principal, case) or supervisor_of(principal, case.region)


def may_see(principal: Principal, case: Case) -> bool:
    return sees_as_staff(principal, case) or is_applicant_of(principal, case)


async def may_see_case(session: AsyncSession, principal: Principal, case: Case) -> bool:
    """:func:`may_see`, or staff of a department that has (or had) a task on the case, e.g. countersigning."""
    if may_see(principal, case):
        return True
    if not staff_in(principal, department=principal.department, region=case.region):
        return False
    task_id = await session.scalar(
        sa.select(Task.id).where(Task.case_id == case.id, Task.department == principal.department).limit(1)
    )
    return task_id is not None


def may_see_task(principal: Principal, task: Task) -> bool:
    return staff_in(principal, department=task.department, region=task.region)


def may_act_on(principal: Principal, task: Task) -> bool:
    return staff_in(principal, department=task.department, region=task.region, roles=(task.role,))


def visible_cases(principal: Principal) -> list[Any] | None:
    """The SQL form of :func:`may_see` for lists (row by row the same answer); None: no cases to list."""
    if principal.kind == "citizen":
        return [Case.applicant_subject == principal.subject, Case.applicant_kind == "citizen"]
    if principal.kind == "enterprise" and principal.enterprise:
        return [Case.applicant_kind == "enterprise", Case.applicant_enterprise == principal.enterprise]
    if principal.kind == "staff" and principal.region and SUPERVISOR in principal.roles:
        return [Case.region.startswith(region_prefix(principal.region))]
    if principal.kind == "staff" and principal.region and principal.department and principal.roles & CASE_ROLES:
        return [Case.region.startswith(region_prefix(principal.region)), Case.department == principal.department]
    return None


def actionable_tasks(principal: Principal) -> list[Any] | None:
    """The SQL form of :func:`may_act_on` (the inbox: my roles, my department, my region subtree)."""
    if not principal.department or not principal.region:
        return None
    return [
        Task.department == principal.department,
        Task.region.startswith(region_prefix(principal.region)),
        Task.role.in_(sorted(principal.roles)),
    ]
