"""Who may do what in the catalog: roles plus the region subtree rule."""

from __future__ import annotations

from catalog.errors import DepartmentOutOfScope, RegionOutOfScope
from catalog.regions import covers
from gov_common.auth import Principal
from gov_common.errors import Forbidden

EDITOR = "catalog_editor"
PUBLISHER = "catalog_publisher"
ADMIN = "platform_admin"


def _staff(principal: Principal) -> None:
    if principal.kind != "staff":
        raise Forbidden("catalog changes are made by staff accounts")


def _department(principal: Principal, department: str | None) -> None:
    # Staff of an implementing department act for it only; catalog staff without a department (the
    # government-service administration) act for every department of their region.
    if department is not None and principal.department and principal.department != department:
        raise DepartmentOutOfScope("the item belongs to another department", department=department)


def check_editor(principal: Principal, region: str, department: str | None = None) -> None:
    """An editor drafts items of regions in their subtree, and of their own department when their token
    names one (a platform admin anywhere)."""
    _staff(principal)
    if ADMIN in principal.roles:
        return
    if EDITOR not in principal.roles:
        raise Forbidden("a required role is missing", required_roles=[EDITOR])
    if not principal.region or not covers(principal.region, region):
        raise RegionOutOfScope(f"your region {principal.region} does not cover {region}", region=region)
    _department(principal, department)


def check_publisher(principal: Principal, region: str, department: str | None = None) -> None:
    """A publisher publishes and withdraws the items of their own region only, and of their own department
    when their token names one (a platform admin anywhere)."""
    _staff(principal)
    if ADMIN in principal.roles:
        return
    if PUBLISHER not in principal.roles:
        raise Forbidden("a required role is missing", required_roles=[PUBLISHER])
    if principal.region != region:
        raise RegionOutOfScope(f"only a publisher of region {region} publishes its items", region=region)
    _department(principal, department)


def may_see_drafts(principal: Principal | None, region: str, department: str | None = None) -> bool:
    """Catalog staff see unpublished versions of their region's subtree, and of their own department when
    their token names one (the same scope as editing)."""
    if principal is None or principal.kind != "staff":
        return False
    if ADMIN in principal.roles:
        return True
    if not ({EDITOR, PUBLISHER} & principal.roles):
        return False
    if principal.department and department and principal.department != department:
        return False
    return bool(principal.region) and covers(principal.region or "", region)
