"""Who may see and do what, in the platform's one access policy (:mod:`gov_common.policy`):

- 12345 operators (role ``hotline_operator``) record calls, dispatch, transfer, grant extensions, call back
  and hand emergencies over, for orders of their region subtree;
- a department's handling staff (case roles) sign for, return, answer and ask to extend the orders their
  department holds, in their region subtree;
- supervisors read everything of their region subtree (figures, topics) and may act as operators do;
- a citizen who wrote through the portal reads their own orders;
- another hotline (a system with ``hotline.exchange.write``) pushes orders of its region.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import (
    CASE_ROLES,
    SUPERVISOR,
    Applicant,
    acts_for_applicant,
    admin_of,
    staff_in,
    supervisor_of,
    system_in,
)
from gov_standards.regions import region_covers, region_prefix
from hotline.errors import NotAnOperator, OutOfScope

ORDERS_READ = "hotline.orders.read"
ORDERS_WRITE = "hotline.orders.write"
ORDERS_HANDLE = "hotline.orders.handle"
KNOWLEDGE_WRITE = "hotline.knowledge.write"
SUPERVISION_READ = "hotline.supervision.read"
RULES_WRITE = "hotline.rules.write"
EXCHANGE_WRITE = "hotline.exchange.write"

OPERATOR = "hotline_operator"


def is_operator(principal: Principal, region: str | None) -> bool:
    """A 12345 operator (or a supervisor) whose region subtree covers ``region``."""
    return supervisor_of(principal, region) or staff_in(
        principal, department=principal.department, region=region, roles=(OPERATOR,)
    )


def is_centre_staff(principal: Principal) -> bool:
    """An operator or supervisor anywhere (their region still bounds what they act on)."""
    return principal.kind == "staff" and bool(principal.roles & {OPERATOR, SUPERVISOR}) and bool(principal.region)


def ensure_operator(principal: Principal, region: str | None) -> None:
    if not is_operator(principal, region):
        raise NotAnOperator()


def is_department_staff(principal: Principal, *, department: str | None, region: str | None) -> bool:
    return staff_in(principal, department=department, region=region, roles=CASE_ROLES)


def ensure_department_staff(principal: Principal, *, department: str | None, region: str | None) -> None:
    if not is_department_staff(principal, department=department, region=region):
        raise OutOfScope("handling staff of the department holding the order, in its region, only")


def caller(subject: str | None) -> Applicant:
    return Applicant(kind="citizen", subject=subject)


def may_read_order(principal: Principal, *, caller_subject: str | None, department: str | None, region: str) -> bool:
    return (
        is_operator(principal, region)
        or is_department_staff(principal, department=department, region=region)
        or acts_for_applicant(principal, caller(caller_subject), scope=ORDERS_READ)
        or system_in(principal, scope=EXCHANGE_WRITE, region=region)
    )


def pushing_system(principal: Principal, region: str) -> bool:
    return system_in(principal, scope=EXCHANGE_WRITE, region=region)


def ensure_supervision_reader(principal: Principal, region: str) -> None:
    if not is_operator(principal, region):
        raise OutOfScope("12345 operators and supervisors of this region only")


def ensure_knowledge_editor(principal: Principal, *, department: str, region: str) -> None:
    """The owning department's staff, or the centre (operators, supervisors) of the region."""
    if not (is_operator(principal, region) or is_department_staff(principal, department=department, region=region)):
        raise OutOfScope("staff of the owning department or the 12345 centre of the region only")


def ensure_rule_admin(principal: Principal, region: str) -> None:
    """Dispatch rules of a region: its supervisors (or a platform admin); categories are the province's
    (``450000``)."""
    if not (supervisor_of(principal, region) or admin_of(principal, region)):
        raise OutOfScope("supervisors of the region (the province's for categories) only")


def within(principal_region: str | None, region: str) -> bool:
    return region_covers(principal_region, region)


def visible_orders(
    principal: Principal,
    *,
    caller_subject: QueryableAttribute[Any],
    department: QueryableAttribute[Any],
    region: QueryableAttribute[Any],
) -> list[sa.ColumnElement[bool]]:
    """:func:`may_read_order` as filters for lists."""
    if principal.kind == "citizen" and ORDERS_READ in principal.scopes and principal.subject:
        return [caller_subject == principal.subject]
    if principal.kind == "staff" and principal.region:
        in_region = region.like(region_prefix(principal.region) + "%")
        if principal.roles & {OPERATOR, SUPERVISOR}:
            return [in_region]
        if principal.roles & CASE_ROLES and principal.department:
            return [department == principal.department, in_region]
    raise Forbidden("the caller of the orders, 12345 operators, handling staff or supervisors only")
