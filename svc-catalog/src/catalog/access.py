"""Who may do what in the catalog, in the platform's one access policy (:mod:`gov_common.policy`): staff
holding a catalog role, of the item's department, in a region subtree covering the item's; platform admins
anywhere. Every staff write needs ``catalog.items.write``; so does seeing drafts on the public reads."""

from __future__ import annotations

from collections.abc import Iterable

from catalog.errors import DepartmentOutOfScope, RegionOutOfScope
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import PLATFORM_ADMIN, admin_of, staff_in
from gov_standards.regions import region_covers

ITEMS_WRITE = "catalog.items.write"
EDITOR = "catalog_editor"
PUBLISHER = "catalog_publisher"
ADMIN = PLATFORM_ADMIN
CATALOG_ROLES = frozenset({EDITOR, PUBLISHER})


def _staff(principal: Principal) -> None:
    if principal.kind != "staff":
        raise Forbidden("catalog changes are made by staff accounts")


def _of_department(principal: Principal, region: str, department: str | None, roles: Iterable[str]) -> bool:
    # Catalog staff without a department (the government-service administration) act for every department
    # of their region; staff of an implementing department for it only.
    if not principal.department or department is None:
        return True
    return staff_in(principal, department=department, region=region, roles=roles)


def check_editor(principal: Principal, region: str, department: str | None = None) -> None:
    """An editor drafts items of regions in their subtree, and of their own department when their token
    names one (a platform admin anywhere)."""
    _staff(principal)
    if admin_of(principal, region):
        return
    if EDITOR not in principal.roles:
        raise Forbidden("a required role is missing", required_roles=[EDITOR])
    if not region_covers(principal.region, region):
        raise RegionOutOfScope(f"your region {principal.region} does not cover {region}", region=region)
    if not _of_department(principal, region, department, (EDITOR,)):
        raise DepartmentOutOfScope("the item belongs to another department", department=department)


def check_publisher(principal: Principal, region: str, department: str | None = None) -> None:
    """A publisher publishes and withdraws the items of their own region only (not its subtree), and of
    their own department when their token names one (a platform admin anywhere)."""
    _staff(principal)
    if admin_of(principal, region):
        return
    if PUBLISHER not in principal.roles:
        raise Forbidden("a required role is missing", required_roles=[PUBLISHER])
    if principal.region != region:
        raise RegionOutOfScope(f"only a publisher of region {region} publishes its items", region=region)
    if not _of_department(principal, region, department, (PUBLISHER,)):
        raise DepartmentOutOfScope("the item belongs to another department", department=department)


def may_see_drafts(principal: Principal | None, region: str, department: str | None = None) -> bool:
    """Catalog staff whose token holds ``catalog.items.write`` see unpublished versions of their region's
    subtree, and of their own department when their token names one (the same scope as editing)."""
    if principal is None or principal.kind != "staff" or ITEMS_WRITE not in principal.scopes:
        return False
    if admin_of(principal, region):
        return True
    roles = CATALOG_ROLES & principal.roles
    return (
        bool(roles) and region_covers(principal.region, region) and _of_department(principal, region, department, roles)
    )


GUIDES_READ = "catalog.guides.read"


def may_read_guide(principal: Principal, region: str) -> bool:
    """Staff read the handling guides (审查要点) of the items of their region's line: their own subtree's and
    those of the regions above them (the items theirs inherit); not another city's or county's (a platform
    admin anywhere)."""
    if principal.kind != "staff":
        return False
    if admin_of(principal, region):
        return True
    return region_covers(principal.region, region) or region_covers(region, principal.region)
