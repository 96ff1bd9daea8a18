"""One access policy for every service: who acts for an applicant, which staff act on a record, which
systems may. Services call these predicates (and nothing of their own) to answer "may this caller see or
do this to this record?"; the operation's scope is checked before, by :func:`gov_common.auth.scoped`.

Records are described by plain values (who applied, for which enterprise, in which department and
region), so every service's own model fits. Lists ask :func:`visible_records` for the same decision as
values a query compares with its columns (:class:`RecordFilter`), never a second copy of the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gov_common.auth import Principal
from gov_standards.regions import region_covers, region_prefix

# Staff roles that handle cases of their department.
CASE_ROLES = frozenset({"acceptor", "reviewer", "approver"})
SUPERVISOR = "supervisor"
PLATFORM_ADMIN = "platform_admin"
STAFF_ADMIN = "staff_admin"


@dataclass(frozen=True)
class Applicant:
    """Who a record belongs to: a citizen (``subject``), or an enterprise (``enterprise``, its credit code;
    ``subject`` is then the person who applied for it)."""

    kind: str  # "citizen" | "enterprise"
    subject: str | None
    enterprise: str | None = None


def acts_for_applicant(principal: Principal, applicant: Applicant, *, scope: str) -> bool:
    """The citizen who applied; or a person acting for the applicant enterprise (its representative or an
    agent) whose token holds ``scope``, which identity issues only within the representative's grant.

    A citizen's token never opens an enterprise's record (even the one they applied for it as an agent:
    the grant may have ended), and an enterprise token never opens its holder's own citizen records."""
    if scope not in principal.scopes:
        return False
    if principal.kind == "citizen":
        return applicant.kind == "citizen" and applicant.subject is not None and applicant.subject == principal.subject
    if principal.kind == "enterprise":
        return (
            applicant.kind == "enterprise"
            and principal.enterprise is not None
            and applicant.enterprise == principal.enterprise
        )
    return False


def staff_in(
    principal: Principal,
    *,
    department: str | None,
    region: str | None,
    roles: Iterable[str] = CASE_ROLES,
) -> bool:
    """Staff holding one of ``roles``, of ``department``, whose region subtree covers ``region``."""
    return (
        principal.kind == "staff"
        and bool(principal.roles & frozenset(roles))
        and department is not None
        and principal.department == department
        and region_covers(principal.region, region)
    )


def supervisor_of(principal: Principal, region: str | None) -> bool:
    """A supervisor whose region subtree covers ``region`` (any department)."""
    return principal.kind == "staff" and SUPERVISOR in principal.roles and region_covers(principal.region, region)


def admin_of(principal: Principal, region: str | None, *, role: str = PLATFORM_ADMIN) -> bool:
    """A platform admin (the whole platform) or, for ``role=staff_admin``, a staff admin of the subtree."""
    if principal.kind != "staff":
        return False
    if PLATFORM_ADMIN in principal.roles:
        return True
    return role in principal.roles and region_covers(principal.region, region)


def system_in(principal: Principal, *, scope: str, region: str | None = None) -> bool:
    """A system client holding ``scope``; when the client is registered for a region, only records inside
    it (a city platform never reads another city's)."""
    if principal.kind != "system" or scope not in principal.scopes:
        return False
    if principal.region is None:
        return True
    return region is not None and region_covers(principal.region, region)


@dataclass(frozen=True)
class RecordFilter:
    """The records a caller may list, as values a query compares with its columns: every field set must
    match (``region_prefix``: the record's region starts with it); unset fields do not narrow."""

    applicant_kind: str | None = None
    applicant_subject: str | None = None
    applicant_enterprise: str | None = None
    department: str | None = None
    region_prefix: str | None = None

    def admits(self, *, department: str | None, region: str | None, applicant: Applicant | None = None) -> bool:
        """Whether a record (``applicant`` None: one without, e.g. a task) passes, exactly as a query comparing
        these values would decide."""
        wanted = (
            (self.applicant_kind, applicant and applicant.kind),
            (self.applicant_subject, applicant and applicant.subject),
            (self.applicant_enterprise, applicant and applicant.enterprise),
            (self.department, department),
        )
        if any(value is not None and value != actual for value, actual in wanted):
            return False
        return self.region_prefix is None or (region or "").startswith(self.region_prefix)


def staff_records(principal: Principal, *, roles: Iterable[str] = CASE_ROLES) -> RecordFilter | None:
    """The records :func:`staff_in` lets ``principal`` act on with one of ``roles``: their department's, in
    their region subtree; None: none."""
    if principal.kind != "staff" or not principal.region or not principal.department:
        return None
    if not principal.roles & frozenset(roles):
        return None
    return RecordFilter(department=principal.department, region_prefix=region_prefix(principal.region))


def visible_records(principal: Principal, *, scope: str, roles: Iterable[str] = CASE_ROLES) -> RecordFilter | None:
    """The records :func:`supervisor_of`, :func:`staff_in` (with ``roles``) or :func:`acts_for_applicant` (with
    ``scope``) let ``principal`` see, as one filter (the widest that applies); None: no record at all."""
    if principal.kind == "staff":
        if SUPERVISOR in principal.roles and principal.region:
            return RecordFilter(region_prefix=region_prefix(principal.region))
        return staff_records(principal, roles=roles)
    if scope not in principal.scopes:
        return None
    if principal.kind == "citizen" and principal.subject:
        return RecordFilter(applicant_kind="citizen", applicant_subject=principal.subject)
    if principal.kind == "enterprise" and principal.enterprise:
        return RecordFilter(applicant_kind="enterprise", applicant_enterprise=principal.enterprise)
    return None
