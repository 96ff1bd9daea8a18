"""Who may do what in a hall, on gov_common.policy's predicates: staff admins of the hall's region set it up
(halls, queues, windows, kiosks); the hall's staff (acceptors of a region covering the hall's: a hall's
windows serve every department) run the windows and the front desk; supervisors (and the admins) read the
figures; a kiosk is a system client registered to one hall; a person acts only on their own appointment,
tickets and agency records."""

from __future__ import annotations

from gov_common.auth import Principal
from gov_common.policy import STAFF_ADMIN, admin_of, supervisor_of
from gov_standards.regions import region_covers

SCOPE_ADMIN = "hall.halls.admin"
SCOPE_OPERATE = "hall.windows.operate"
SCOPE_TAKE = "hall.tickets.take"
SCOPE_FIGURES = "hall.figures.read"
HALL_ROLE = "acceptor"


def is_admin(principal: Principal, region: str) -> bool:
    return admin_of(principal, region, role=STAFF_ADMIN)


def is_hall_staff(principal: Principal, region: str) -> bool:
    """A hall acceptor of a region covering the hall's (the rule application's hall lookups use too)."""
    return principal.kind == "staff" and HALL_ROLE in principal.roles and region_covers(principal.region, region)


def reads_figures(principal: Principal, region: str) -> bool:
    return supervisor_of(principal, region) or is_admin(principal, region) or is_hall_staff(principal, region)


def is_person(principal: Principal) -> bool:
    return principal.kind == "citizen"
