"""Who may see and do what. Applicants act on their own orders; ``finance`` staff on the orders of their
department inside their region subtree; systems (the workflow) by scope."""

from __future__ import annotations

from gov_common.auth import Principal
from gov_common.errors import ProblemError
from gov_common.regions import region_covers
from payment.errors import NotYourOrder, OutOfScope
from payment.models import PaymentOrder

FINANCE = "finance"
SCOPE_ORDERS_WRITE = "payment.orders.write"
SCOPE_ORDERS_READ = "payment.orders.read"
APPLICANT_KINDS = ("citizen", "enterprise")


def is_applicant_of(principal: Principal, order: PaymentOrder) -> bool:
    return principal.kind in APPLICANT_KINDS and principal.subject == order.applicant_subject


def is_finance_for(principal: Principal, *, department: str | None, region: str | None) -> bool:
    return (
        principal.kind == "staff"
        and FINANCE in principal.roles
        and department is not None
        and principal.department == department
        and region_covers(principal.region, region)
    )


def can_read(principal: Principal, order: PaymentOrder) -> bool:
    return (
        is_applicant_of(principal, order)
        or is_finance_for(principal, department=order.department, region=order.region)
        or (principal.kind == "system" and principal.has_scopes(SCOPE_ORDERS_READ))
    )


def ensure_can_read(principal: Principal, order: PaymentOrder) -> None:
    if not can_read(principal, order):
        raise NotYourOrder()


def ensure_applicant(principal: Principal, order: PaymentOrder) -> None:
    if not is_applicant_of(principal, order):
        raise NotYourOrder("only the applicant of this order may do that")


def ensure_finance(principal: Principal, *, department: str, region: str) -> None:
    if not is_finance_for(principal, department=department, region=region):
        raise OutOfScope("finance staff of the collecting department and region only")


def ensure_finance_on(principal: Principal, order: PaymentOrder, *, not_found: ProblemError) -> None:
    """Finance of the order's department and region only. Whoever may not even read the order gets
    ``not_found``, so that a record's existence is not confirmed to them."""
    if is_finance_for(principal, department=order.department, region=order.region):
        return
    if can_read(principal, order):
        raise OutOfScope("finance staff of the collecting department and region only")
    raise not_found


def ensure_can_create(principal: Principal, *, department: str, region: str) -> None:
    """The workflow (a system client with ``payment.orders.write``) or finance staff of the department."""
    if principal.kind == "system" and principal.has_scopes(SCOPE_ORDERS_WRITE):
        return
    ensure_finance(principal, department=department, region=region)
