"""Who may see a case: staff of its department inside their region subtree, supervisors of the region
subtree, and the applicant (the citizen, or agents of the applying enterprise)."""

from __future__ import annotations

from gov_common.auth import Principal
from gov_common.regions import region_covers
from workflow.models import Case


def is_supervisor_of(principal: Principal, case: Case) -> bool:
    return (
        principal.kind == "staff" and "supervisor" in principal.roles and region_covers(principal.region, case.region)
    )


def is_staff_of(principal: Principal, case: Case) -> bool:
    return (
        principal.kind == "staff"
        and principal.department == case.department
        and region_covers(principal.region, case.region)
    )


def is_applicant_of(principal: Principal, case: Case) -> bool:
    if principal.kind == "citizen":
        return principal.subject == case.applicant_subject and case.applicant_kind == "citizen"
    if principal.kind == "enterprise":
        return principal.enterprise is not None and principal.enterprise == case.applicant_enterprise
    return False


def may_see(principal: Principal, case: Case) -> bool:
    return is_staff_of(principal, case) or is_supervisor_of(principal, case) or is_applicant_of(principal, case)
