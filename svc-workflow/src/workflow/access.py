"""Who may see a case or act on a task, in the platform's one access policy (:mod:`gov_common.policy`):
staff of its department inside their region subtree, supervisors of the region subtree, and the applicant
(the citizen, or the applying enterprise's representative and agents holding ``workflow.cases.read``).
Lists compare columns with what gov_common.policy.visible_records says of the same predicates."""

from __future__ import annotations

import dataclasses
from typing import Any

from gov_common.auth import Principal
from gov_common.policy import (
    Applicant,
    RecordFilter,
    acts_for_applicant,
    staff_in,
    staff_records,
    supervisor_of,
    visible_records,
)
from workflow.models import Case, SupervisionOrder, Task

CASES_READ = "workflow.cases.read"
CASES_HANDLE = "workflow.cases.handle"
SUPERVISION = "workflow.supervision.read"
SUPERVISION_WRITE = "workflow.supervision.write"
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


def is_accepting_side(principal: Principal, case: Case) -> bool:
    """Staff of the department whose window accepted the case for another region (异地代收), in their region
    subtree: they see its status and trace (not the applicant's data) and hand the result over; the case's
    own department decides."""
    return case.accepting_department is not None and staff_in(
        principal, department=case.accepting_department, region=case.accepting_region
    )


def may_see_through_a_task(principal: Principal, case: Case) -> bool:
    """Case-handling staff of their own department inside the case's region: they see the case when their
    department has (or had) a task on it, e.g. countersigning (the caller looks the task up)."""
    return staff_in(principal, department=principal.department, region=case.region)


def may_see_task(principal: Principal, task: Task) -> bool:
    return staff_in(principal, department=task.department, region=task.region)


def may_act_on(principal: Principal, task: Task) -> bool:
    return staff_in(principal, department=task.department, region=task.region, roles=(task.role,))


def may_see_order(principal: Principal, order: SupervisionOrder) -> bool:
    """Supervisors of the ordered region's subtree (the holders up the tree included), and the ordered
    department's staff inside their region subtree."""
    return supervisor_of(principal, order.region) or staff_in(
        principal, department=order.department, region=order.region
    )


def may_reply(principal: Principal, order: SupervisionOrder) -> bool:
    """Staff of the ordered department, in their region subtree."""
    return staff_in(principal, department=order.department, region=order.region)


def visible_orders(principal: Principal) -> list[Any] | None:
    """The orders :func:`may_see_order` shows ``principal``, as SQL conditions; None: none (only staff see
    orders)."""
    if principal.kind != "staff":
        return None
    found = visible_records(principal, scope=SUPERVISION)
    return None if found is None else _conditions(found, SupervisionOrder)


def _conditions(found: RecordFilter, table: type[Case] | type[Task] | type[SupervisionOrder]) -> list[Any]:
    """``found`` as SQL conditions on ``table``'s columns of the same names (the region as a prefix)."""
    values = {f.name: getattr(found, f.name) for f in dataclasses.fields(found)}
    prefix = values.pop("region_prefix")
    conditions: list[Any] = [getattr(table, name) == value for name, value in values.items() if value is not None]
    if prefix is not None:
        conditions.append(table.region.startswith(prefix))
    return conditions


def visible_cases(principal: Principal) -> list[Any] | None:
    """The cases :func:`may_see` shows ``principal``, as SQL conditions (gov_common.policy.visible_records);
    None: no cases to list."""
    found = visible_records(principal, scope=CASES_READ)
    return None if found is None else _conditions(found, Case)


def accepted_cases(principal: Principal) -> list[Any] | None:
    """The cases :func:`is_accepting_side` shows ``principal`` (what their department's windows accepted for
    other regions, 异地代收), as SQL conditions; None: none (not staff of a department)."""
    found = staff_records(principal)
    if found is None or found.department is None or found.region_prefix is None:
        return None
    return [Case.accepting_department == found.department, Case.accepting_region.startswith(found.region_prefix)]


def actionable_tasks(principal: Principal) -> list[Any] | None:
    """The tasks :func:`may_act_on` lets ``principal`` act on (the inbox: my roles, my department, my region
    subtree), as SQL conditions; None: no tasks."""
    found = staff_records(principal, roles=principal.roles)
    return None if found is None else [*_conditions(found, Task), Task.role.in_(sorted(principal.roles))]
