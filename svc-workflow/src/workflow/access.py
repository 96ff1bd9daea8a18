"""Who may see a case or act on a task, in the platform's one access policy (:mod:`gov_common.policy`):
staff of its department inside their region subtree, supervisors of the region subtree, and the applicant
(the citizen, or the applying enterprise's representative and agents holding ``workflow.cases.read``)."""

from __future__ import annotations

from gov_common.auth import Principal
from gov_common.policy import Applicant, acts_for_applicant, staff_in, supervisor_of
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


def may_see_task(principal: Principal, task: Task) -> bool:
    return staff_in(principal, department=task.department, region=task.region)


def may_act_on(principal: Principal, task: Task) -> bool:
    return staff_in(principal, department=task.department, region=task.region, roles=(task.role,))
