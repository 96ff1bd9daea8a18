"""Who may see and do what with an application.

- a citizen: their own applications;
- an enterprise (its representative or an agent, ``kind`` enterprise with the ``enterprise`` claim):
  the enterprise's applications, reading with ``application:read``, acting with ``application:submit``;
- staff (acceptor, reviewer, approver, supervisor): the cases of their department in their region subtree;
- anyone else: the application does not exist for them (404, not 403).
"""

from __future__ import annotations

from application.errors import ApplicationNotFound, NotForYou
from application.models import Application
from gov_common.auth import Principal
from gov_common.regions import region_covers

SCOPE_READ = "application:read"
SCOPE_SUBMIT = "application:submit"
CASE_ROLES = frozenset({"acceptor", "reviewer", "approver", "supervisor"})
HALL_ROLE = "acceptor"
HALL_ADMIN_ROLES = frozenset({"staff_admin", "platform_admin"})
STATS_ROLES = frozenset({"supervisor", "platform_admin"})


def is_applicant(principal: Principal, app: Application, *, write: bool = False) -> bool:
    if principal.kind == "citizen":
        return app.applicant_kind == "citizen" and app.applicant_subject == principal.subject
    if principal.kind == "enterprise":
        scope = SCOPE_SUBMIT if write else SCOPE_READ
        return (
            app.applicant_kind == "enterprise"
            and principal.enterprise is not None
            and app.enterprise == principal.enterprise
            and principal.has_scopes(scope)
        )
    return False


def is_case_staff(principal: Principal, app: Application) -> bool:
    """Staff of the item's department in a region covering the case's; an online draft is the applicant's
    alone until it is submitted."""
    return (
        principal.kind == "staff"
        and (app.status != "draft" or app.channel == "hall")
        and bool(CASE_ROLES & principal.roles)
        and principal.department is not None
        and principal.department == app.department_code
        and region_covers(principal.region, app.region)
    )


def can_read(principal: Principal, app: Application) -> bool:
    return is_applicant(principal, app) or is_case_staff(principal, app)


def ensure_read(principal: Principal, app: Application) -> None:
    if not can_read(principal, app):
        raise ApplicationNotFound()  # never confirm that someone else's application exists


def ensure_applicant(principal: Principal, app: Application) -> None:
    """Acting on an application (forms, materials, submit, withdraw): the applicant, or the hall staff who
    registered a hall case."""
    if is_applicant(principal, app, write=True):
        return
    if app.channel == "hall" and is_case_staff(principal, app) and HALL_ROLE in principal.roles:
        return
    if can_read(principal, app):
        raise NotForYou("only the applicant may change this application")
    raise ApplicationNotFound()


def ensure_can_apply(principal: Principal) -> None:
    if principal.kind == "citizen":
        return
    if principal.kind == "enterprise" and principal.enterprise and principal.has_scopes(SCOPE_SUBMIT):
        return
    if principal.kind == "staff" and HALL_ROLE in principal.roles:
        return
    raise NotForYou("citizens, enterprise agents with application:submit, or hall acceptors apply")
