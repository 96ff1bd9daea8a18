"""Who may see and do what with an application, in the platform's one access policy (:mod:`gov_common.policy`):

- the applicant: the citizen, or whoever acts for the applicant enterprise within their grant, reading with
  ``application.applications.read`` and acting with ``application.applications.write``;
- staff handling cases of the item's department in their region subtree, and supervisors of the region;
- anyone else: the application does not exist for them (404, not 403).

These wrappers only turn the policy's answers into svc-application's errors.
"""

from __future__ import annotations

import sqlalchemy as sa

from application.errors import ApplicationNotFound, BundleApplicationNotFound, NotForYou
from application.models import Application, BundleApplication
from gov_common.auth import Principal
from gov_common.policy import CASE_ROLES, SUPERVISOR, Applicant, acts_for_applicant, staff_in, supervisor_of
from gov_standards.regions import region_covers, region_prefix

SCOPE_READ = "application.applications.read"
SCOPE_WRITE = "application.applications.write"
SCOPE_APPOINTMENTS_READ = "application.appointments.read"
SCOPE_APPOINTMENTS_WRITE = "application.appointments.write"
SCOPE_DELIVERY = "application.delivery.write"
HALL_ROLE = "acceptor"


def applicant_of(app: Application | BundleApplication) -> Applicant:
    return Applicant(kind=app.applicant_kind, subject=app.applicant_subject, enterprise=app.enterprise)


def is_applicant(principal: Principal, app: Application | BundleApplication, *, write: bool = False) -> bool:
    return acts_for_applicant(principal, applicant_of(app), scope=SCOPE_WRITE if write else SCOPE_READ)


def is_case_staff(principal: Principal, app: Application) -> bool:
    """Staff of the item's department in a region covering the case's, or a supervisor of the region; an
    online draft is the applicant's alone until it is submitted."""
    if app.status == "draft" and app.channel != "hall":
        return False
    return staff_in(principal, department=app.department_code, region=app.region) or supervisor_of(
        principal, app.region
    )


def is_accepting_side(principal: Principal, app: Application) -> bool:
    """Staff of the department whose window accepted ``app`` for another region (异地代收), in their region
    subtree: they follow it and hand the result over, the item's department decides."""
    return app.accepting_department is not None and staff_in(
        principal, department=app.accepting_department, region=app.accepting_region
    )


def is_hall_staff(principal: Principal, region: str | None) -> bool:
    """A hall acceptor of a region covering the hall's: a hall's windows serve every department, so no
    department is asked (the one hall rule :mod:`gov_common.policy` has no predicate for)."""
    return principal.kind == "staff" and HALL_ROLE in principal.roles and region_covers(principal.region, region)


def can_read(principal: Principal, app: Application) -> bool:
    return is_applicant(principal, app) or is_case_staff(principal, app) or is_accepting_side(principal, app)


def visible_applications(principal: Principal) -> list[sa.ColumnElement[bool]] | None:
    """The SQL form of :func:`can_read` for listing (rows are still passed through it); ``None`` when the
    caller may see no application at all."""
    if principal.kind == "citizen":
        return [Application.applicant_kind == "citizen", Application.applicant_subject == principal.subject]
    if principal.kind == "enterprise" and principal.enterprise:
        return [Application.applicant_kind == "enterprise", Application.enterprise == principal.enterprise]
    if principal.kind == "staff" and principal.region and (CASE_ROLES | {SUPERVISOR}) & principal.roles:
        prefix = region_prefix(principal.region)
        where = [sa.or_(Application.status != "draft", Application.channel == "hall")]
        if SUPERVISOR in principal.roles:
            return [*where, Application.region.startswith(prefix)]
        owning = sa.and_(Application.department_code == principal.department, Application.region.startswith(prefix))
        accepting = sa.and_(  # 异地代收: what our windows accepted for other regions
            Application.accepting_department == principal.department, Application.accepting_region.startswith(prefix)
        )
        return [*where, sa.or_(owning, accepting)]
    return None


def ensure_read(principal: Principal, app: Application) -> None:
    if not can_read(principal, app):
        raise ApplicationNotFound()  # never confirm that someone else's application exists


def ensure_applicant(principal: Principal, app: Application) -> None:
    """Acting on an application (forms, materials, submit, withdraw): the applicant, or the hall staff who
    registered a hall case."""
    if is_applicant(principal, app, write=True):
        return
    if app.channel == "hall" and staff_in(
        principal, department=app.department_code, region=app.region, roles={HALL_ROLE}
    ):
        return
    if app.channel == "hall" and is_accepting_side(principal, app) and HALL_ROLE in principal.roles:
        return  # the accepting window of another region (异地代收) registers for the person there
    if can_read(principal, app):
        raise NotForYou("only the applicant may change this application")
    raise ApplicationNotFound()


def ensure_can_apply(principal: Principal) -> None:
    """Citizens, whoever acts for an enterprise, and hall acceptors (for the person at the window); the
    operation's scope (``application.applications.write``) is checked before."""
    if principal.kind == "citizen":
        return
    if principal.kind == "enterprise" and principal.enterprise:
        return
    if principal.kind == "staff" and HALL_ROLE in principal.roles:
        return
    raise NotForYou("citizens, enterprise agents or hall acceptors apply")


# ---------------------------------------------------------------- bundle applications (一件事)


def registered_bundle(principal: Principal, bundle: BundleApplication) -> bool:
    """The hall acceptor who registered a bundle at a window for the person there."""
    return (
        bundle.channel == "hall" and principal.subject == bundle.created_by and is_hall_staff(principal, bundle.region)
    )


def can_read_bundle(principal: Principal, bundle: BundleApplication, parts: list[Application]) -> bool:
    """The applicant (or the hall acceptor who registered it); staff (and supervisors) who may see one of its
    parts see the bundle too, so that a department sees the sibling cases of its own (their states only)."""
    return (
        is_applicant(principal, bundle)
        or registered_bundle(principal, bundle)
        or any(is_case_staff(principal, p) for p in parts)
    )


def ensure_read_bundle(principal: Principal, bundle: BundleApplication, parts: list[Application]) -> None:
    if not can_read_bundle(principal, bundle, parts):
        raise BundleApplicationNotFound()  # never confirm that someone else's bundle exists


def ensure_bundle_applicant(principal: Principal, bundle: BundleApplication, parts: list[Application]) -> None:
    """Acting on a bundle (form, materials, submit): the applicant, or the hall acceptor who registered it
    (a hall's windows serve every department of the bundle)."""
    if is_applicant(principal, bundle, write=True) or registered_bundle(principal, bundle):
        return
    if can_read_bundle(principal, bundle, parts):
        raise NotForYou("only the applicant may change this bundle application")
    raise BundleApplicationNotFound()
