"""Who may see and do what. Applicants rate their own cases and see their own ratings, rectifications and
consultations; staff act for their department inside their region subtree; supervisors decide appeals
and read statistics in their region subtree; systems act by scope."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from evaluation.errors import NotTheApplicant, OutOfScope, OwnCaseRating
from evaluation.models import EvaluatedCase
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.regions import region_covers, region_prefix

APPLICANT_KINDS = ("citizen", "enterprise")
# Staff roles that handle cases and therefore reply to ratings and consultations of their department.
HANDLING_ROLES = frozenset({"acceptor", "reviewer", "approver"})
SUPERVISOR = "supervisor"
PLATFORM_ADMIN = "platform_admin"
SCOPE_RELAY = "evaluation.ratings.relay"  # a hall device, the 12345 hotline or the SMS gateway
SCOPE_READ = "evaluation.read"  # systems reading ratings and statistics (the national-platform exchange)


def is_applicant_of(principal: Principal, case: EvaluatedCase) -> bool:
    """The applicant himself, or an agent of the applicant enterprise."""
    if principal.kind not in APPLICANT_KINDS:
        return False
    if principal.subject == case.applicant_subject:
        return True
    return (
        case.applicant_kind == "enterprise"
        and principal.kind == "enterprise"
        and case.applicant_enterprise is not None
        and principal.enterprise == case.applicant_enterprise
    )


def ensure_may_rate(principal: Principal, case: EvaluatedCase, *, rater_subject: str) -> None:
    """Only the case's applicant rates it (directly, or through a relaying system naming the applicant);
    staff who handled the case never do."""
    if principal.subject in case.handled_by or rater_subject in case.handled_by:
        raise OwnCaseRating()
    if principal.kind == "system":
        if not principal.has_scopes(SCOPE_RELAY) or rater_subject != case.applicant_subject:
            raise NotTheApplicant("a relaying system must hold evaluation.ratings.relay and name the applicant")
        return
    if not is_applicant_of(principal, case):
        raise NotTheApplicant()


def is_department_staff(principal: Principal, *, department: str, region: str) -> bool:
    return (
        principal.kind == "staff"
        and bool(principal.roles & HANDLING_ROLES)
        and principal.department == department
        and region_covers(principal.region, region)
    )


def is_supervisor_for(principal: Principal, region: str) -> bool:
    return principal.kind == "staff" and SUPERVISOR in principal.roles and region_covers(principal.region, region)


def ensure_department_staff(principal: Principal, *, department: str, region: str) -> None:
    if not is_department_staff(principal, department=department, region=region):
        raise OutOfScope("handling staff of the rated department and region only")


def ensure_supervisor(principal: Principal, region: str) -> None:
    if not is_supervisor_for(principal, region):
        raise OutOfScope("a supervisor of this region only")


def can_read_department_record(principal: Principal, *, department: str, region: str) -> bool:
    return (
        is_department_staff(principal, department=department, region=region)
        or is_supervisor_for(principal, region)
        or (principal.kind == "system" and principal.has_scopes(SCOPE_READ))
    )


def visible(
    principal: Principal,
    *,
    owner: QueryableAttribute[Any],
    department: QueryableAttribute[Any],
    region: QueryableAttribute[Any],
) -> list[sa.ColumnElement[bool]]:
    """Filters for lists: applicants see their own records, handling staff their department's in their
    region subtree, supervisors everything in their region subtree, reading systems everything."""
    if principal.kind in APPLICANT_KINDS:
        return [owner == principal.subject]
    if principal.kind == "system" and principal.has_scopes(SCOPE_READ):
        return []
    if principal.kind == "staff" and principal.region:
        in_region = region.like(region_prefix(principal.region) + "%")
        if SUPERVISOR in principal.roles:
            return [in_region]
        if principal.roles & HANDLING_ROLES and principal.department:
            return [department == principal.department, in_region]
    raise Forbidden("applicants, handling staff, supervisors or systems with evaluation.read only")
