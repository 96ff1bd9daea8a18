"""Who may see and do what, in the platform's one access policy (:mod:`gov_common.policy`). Applicants
(the citizen, or the applying enterprise's representative and agents holding the operation's scope) rate
their own cases and see their own ratings, rectifications and consultations; handling staff act for their
department inside their region subtree; supervisors decide appeals and read statistics in their region
subtree; systems act by scope, inside the region they are registered for."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from evaluation.errors import NotTheApplicant, NotYourRecord, OutOfScope, OwnCaseRating
from evaluation.models import EvaluatedCase
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import CASE_ROLES, SUPERVISOR, Applicant, acts_for_applicant, staff_in, supervisor_of, system_in
from gov_standards.regions import region_prefix

RATINGS_WRITE = "evaluation.ratings.write"  # applicants rate and confirm or reject a rectification's reply
RATINGS_READ = "evaluation.ratings.read"  # everyone's reads (within the policy) and statistics
RATINGS_RELAY = "evaluation.ratings.relay"  # a hall device, the 12345 hotline or the SMS gateway
RECTIFICATIONS_WRITE = "evaluation.rectifications.write"  # staff reply, appeal, decide and answer
CONSULTATIONS_WRITE = "evaluation.consultations.write"  # askers ask and rate the answer

# The columns naming who a record belongs to: (kind, subject, enterprise).
OwnerColumns = tuple[QueryableAttribute[Any], QueryableAttribute[Any], QueryableAttribute[Any]]


def owner(kind: str | None, subject: str | None, enterprise: str | None) -> Applicant:
    """The applicant a record belongs to (an anonymous on-site rating belongs to nobody)."""
    return Applicant(kind=kind or "citizen", subject=subject, enterprise=enterprise)


def case_applicant(case: EvaluatedCase) -> Applicant:
    return owner(case.applicant_kind, case.applicant_subject, case.applicant_enterprise)


def ensure_may_rate(principal: Principal, case: EvaluatedCase, *, rater_subject: str, relayed: bool) -> None:
    """Only the case's applicant rates it (directly, or through a system of the case's region relaying the
    applicant's rating); staff who handled the case never do."""
    if principal.subject in case.handled_by or rater_subject in case.handled_by:
        raise OwnCaseRating()
    if relayed:
        if not system_in(principal, scope=RATINGS_RELAY, region=case.region):
            raise NotTheApplicant("a relaying system of the case's region only")
        if rater_subject != case.applicant_subject:
            raise NotTheApplicant("a relaying system names the case's applicant")
        return
    if not acts_for_applicant(principal, case_applicant(case), scope=RATINGS_WRITE):
        raise NotTheApplicant()


def ensure_owner(principal: Principal, record_owner: Applicant, *, scope: str, what: str) -> None:
    if not acts_for_applicant(principal, record_owner, scope=scope):
        raise NotYourRecord(what)


def is_department_staff(principal: Principal, *, department: str, region: str) -> bool:
    return staff_in(principal, department=department, region=region)


def ensure_department_staff(principal: Principal, *, department: str, region: str) -> None:
    if not is_department_staff(principal, department=department, region=region):
        raise OutOfScope("handling staff of the rated department and region only")


def ensure_supervisor(principal: Principal, region: str) -> None:
    if not supervisor_of(principal, region):
        raise OutOfScope("a supervisor of this region only")


def may_read(
    principal: Principal, record_owner: Applicant, *, department: str, region: str, scope: str = RATINGS_READ
) -> bool:
    """The record's applicant (holding ``scope``, the operation's), handling staff of its department, a
    supervisor of its region or a reading system of its region."""
    return (
        acts_for_applicant(principal, record_owner, scope=scope)
        or is_department_staff(principal, department=department, region=region)
        or supervisor_of(principal, region)
        or system_in(principal, scope=RATINGS_READ, region=region)
    )


def visible(
    principal: Principal,
    *,
    owner: OwnerColumns,
    department: QueryableAttribute[Any],
    region: QueryableAttribute[Any],
) -> list[sa.ColumnElement[bool]]:
    """:func:`may_read` as filters for lists: applicants see their own records (an enterprise's agents the
    enterprise's), handling staff their department's in their region subtree, supervisors everything in
    their region subtree, reading systems everything in theirs."""
    kind, subject, enterprise = owner
    if principal.kind == "citizen" and RATINGS_READ in principal.scopes:
        return [kind == "citizen", subject == principal.subject]
    if principal.kind == "enterprise" and principal.enterprise and RATINGS_READ in principal.scopes:
        return [kind == "enterprise", enterprise == principal.enterprise]
    if principal.kind == "system" and RATINGS_READ in principal.scopes:
        return [region.like(region_prefix(principal.region) + "%")] if principal.region else []
    if principal.kind == "staff" and principal.region:
        in_region = region.like(region_prefix(principal.region) + "%")
        if SUPERVISOR in principal.roles:
            return [in_region]
        if principal.roles & CASE_ROLES and principal.department:
            return [department == principal.department, in_region]
    raise Forbidden("applicants, handling staff, supervisors or systems with evaluation.ratings.read only")
