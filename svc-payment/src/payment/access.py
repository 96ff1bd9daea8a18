"""Who may see and do what, in the platform's one access policy (:mod:`gov_common.policy`): the applicant
(the citizen, or whoever acts for the applicant enterprise within their grant) reads with
``payment.orders.read`` and pays or cancels with ``payment.orders.pay``; ``finance`` staff act on the
orders of their department inside their region subtree; systems (the workflow) by scope, inside their
region when registered for one. These wrappers only turn the policy's answers into svc-payment's errors."""

from __future__ import annotations

import sqlalchemy as sa

from gov_common.auth import Principal
from gov_common.errors import ProblemError
from gov_common.policy import Applicant, acts_for_applicant, staff_in, system_in
from gov_standards.regions import region_prefix
from payment.errors import NotYourOrder, OutOfScope
from payment.models import CombinedPayment, PaymentOrder

FINANCE = frozenset({"finance"})
SCOPE_ORDERS_READ = "payment.orders.read"
SCOPE_ORDERS_PAY = "payment.orders.pay"
SCOPE_ORDERS_WRITE = "payment.orders.write"
SCOPE_FINANCE = "payment.finance.manage"


def applicant_of(order: PaymentOrder) -> Applicant:
    return Applicant(kind=order.applicant_kind, subject=order.applicant_subject, enterprise=order.applicant_enterprise)


def is_applicant_of(principal: Principal, order: PaymentOrder, *, scope: str = SCOPE_ORDERS_READ) -> bool:
    return acts_for_applicant(principal, applicant_of(order), scope=scope)


def is_finance_for(principal: Principal, *, department: str | None, region: str | None) -> bool:
    return staff_in(principal, department=department, region=region, roles=FINANCE)


def can_read(principal: Principal, order: PaymentOrder) -> bool:
    return (
        is_applicant_of(principal, order)
        or is_finance_for(principal, department=order.department, region=order.region)
        or system_in(principal, scope=SCOPE_ORDERS_READ, region=order.region)
    )


def visible_orders(principal: Principal) -> list[sa.ColumnElement[bool]] | None:
    """The SQL form of :func:`can_read` for listing (so that every page is full); ``None`` when the
    caller may see no order at all. Rows are still passed through :func:`can_read`."""
    if principal.kind == "citizen":
        return [PaymentOrder.applicant_kind == "citizen", PaymentOrder.applicant_subject == principal.subject]
    if principal.kind == "enterprise" and principal.enterprise:
        return [PaymentOrder.applicant_kind == "enterprise", PaymentOrder.applicant_enterprise == principal.enterprise]
    if principal.kind == "staff" and FINANCE & principal.roles and principal.department and principal.region:
        return [
            PaymentOrder.department == principal.department,
            PaymentOrder.region.startswith(region_prefix(principal.region)),
        ]
    if principal.kind == "system":
        return [PaymentOrder.region.startswith(region_prefix(principal.region))] if principal.region else []
    return None


def ensure_applicant(principal: Principal, order: PaymentOrder) -> None:
    """Paying and cancelling: the applicant, with ``payment.orders.pay`` (an agent's grant may lack it)."""
    if not is_applicant_of(principal, order, scope=SCOPE_ORDERS_PAY):
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
    """The workflow (a system client with ``payment.orders.write``, inside its region when it has one) or
    finance staff of the department."""
    if system_in(principal, scope=SCOPE_ORDERS_WRITE, region=region):
        return
    if principal.kind == "system":
        raise OutOfScope("this system creates orders of its own region only")
    ensure_finance(principal, department=department, region=region)


def is_payer_of(principal: Principal, combined: CombinedPayment) -> bool:
    """A combined payment is its payer's: the citizen who started it, or whoever acts for its enterprise."""
    payer = Applicant(kind=combined.payer_kind, subject=combined.payer_subject, enterprise=combined.payer_enterprise)
    return acts_for_applicant(principal, payer, scope=SCOPE_ORDERS_READ)
