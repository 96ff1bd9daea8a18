"""The platform's API scopes: one catalogue, one form (``<service>.<resource>.<action>``).

A scope says what a *client* may do on a person's or its own behalf; it never widens what the caller may
see (roles, department, region and ownership still decide, in :mod:`gov_common.policy`). Identity issues
a scope only when the client is registered for it, the request asked for it and the person consented (or
the client is first-party, recorded as such). Every non-public operation of every service names exactly
one scope with :func:`gov_common.auth.scoped`; the OpenAPI documents carry it as ``security``.
"""

from __future__ import annotations

from typing import Final

# scope -> what it lets a client do (shown on the consent page and in discovery's scopes_supported).
CATALOGUE: Final[dict[str, str]] = {
    # identity
    "identity.account.read": "read your account, sessions and verification level",
    "identity.account.write": "change your profile, password, recovery phone and sessions",
    "identity.enterprises.read": "read the enterprises you represent or act for and their agents",
    "identity.enterprises.write": "register an enterprise and grant or revoke its agents",
    "identity.people.verify": "hall staff: verify a person in person (real-name check)",
    "identity.staff.admin": "staff administration: accounts, roles, departments, clients",
    "identity.holder.read": "platform systems: resolve a license holder's identifiers",
    # catalog
    "catalog.items.write": "draft, edit, submit, publish and withdraw service items and bundles",
    # application
    "application.applications.read": "read your applications (or the enterprise's, as its agent)",
    "application.applications.write": "create, fill in, submit, supplement and withdraw applications",
    "application.appointments.read": "read hall appointments",
    "application.appointments.write": "book, change and cancel hall appointments; manage halls",
    "application.delivery.write": "logistics providers: report deliveries",
    # workflow
    "workflow.cases.read": "read cases and their traces",
    "workflow.cases.handle": "staff: claim, handle and take back case tasks",
    "workflow.supervision.read": "supervisors: time-limit supervision and evaluations",
    "workflow.supervision.write": "supervisors: issue supervision orders (督办); departments: answer them",
    "workflow.calendar.write": "administrators: maintain the working-day calendar",
    # certificates
    "certificates.licenses.read": "read your e-licenses (or the enterprise's)",
    "certificates.licenses.share": "grant and revoke others' use of your e-licenses",
    "certificates.licenses.issue": "staff: issue, revoke and seal e-licenses",
    "certificates.licenses.import": "department systems: bring licences their department issued outside the platform into holders' wallets",
    # payment
    "payment.orders.read": "read payment orders and receipts",
    "payment.orders.pay": "pay or cancel your payment orders",
    "payment.orders.write": "platform systems and finance staff: create and manage payment orders",
    "payment.finance.manage": "finance staff: run reconciliations, decide refunds",
    # exchange
    "exchange.catalog.read": "city platforms: pull the published catalog of their region",
    "exchange.cases.write": "city platforms: push cases and their status changes",
    "exchange.webhooks.manage": "city platforms: manage their own webhook subscriptions",
    "exchange.shared.query": "departments and their systems: ask for and query approved shared datasets",
    "exchange.national.read": "national platform adapter: read upward batches",
    "exchange.discovery.read": "external systems: list the operations their granted scopes open",
    "exchange.registry.admin": "platform administrators: external systems, datasets, sharing approvals, audit",
    # evaluation
    "evaluation.ratings.write": "rate your cases and confirm rectifications",
    "evaluation.ratings.read": "read ratings and statistics",
    "evaluation.ratings.relay": "hall devices, the 12345 hotline and SMS: relay an applicant's rating",
    "evaluation.rectifications.write": "staff: answer ratings, rectifications and consultations",
    "evaluation.consultations.write": "ask questions, file complaints and rate the answers",
    # hotline
    "hotline.orders.read": "read 12345 work orders (your own messages; staff: their department's or the centre's)",
    "hotline.orders.write": "leave a message for 12345; operators: record calls, dispatch, call back",
    "hotline.orders.handle": "departments: sign for, return, answer and ask to extend 12345 work orders",
    "hotline.knowledge.write": "staff: write and review entries of the 12345 knowledge base",
    "hotline.supervision.read": "supervisors: 12345 figures, scores and the topic pool",
    "hotline.rules.write": "supervisors: 12345 categories and dispatch rules",
    "hotline.exchange.write": "other hotlines and city platforms: push work orders to 12345",
    # hall
    "hall.tickets.take": "take hall tickets: check in your appointment, read your tickets and agency cases; kiosks",
    "hall.windows.operate": "hall staff: sign in at a window, issue tickets, call and serve, act as agent (全程代办)",
    "hall.halls.admin": "staff admins: set up halls, queues, windows and kiosks",
    "hall.figures.read": "hall figures and attendance: waits, service times, no-shows",
}

# Standard OpenID Connect scopes: they open userinfo claims and refresh tokens, no platform API.
OIDC: Final[frozenset[str]] = frozenset({"openid", "profile", "phone", "offline_access"})

# What a person acting for themself or an enterprise may hold (the citizen portal asks for these).
PERSON: Final[frozenset[str]] = frozenset(
    {
        "identity.account.read",
        "identity.account.write",
        "identity.enterprises.read",
        "identity.enterprises.write",
        "application.applications.read",
        "application.applications.write",
        "application.appointments.read",
        "application.appointments.write",
        "workflow.cases.read",
        "certificates.licenses.read",
        "certificates.licenses.share",
        "payment.orders.read",
        "payment.orders.pay",
        "evaluation.ratings.write",
        "evaluation.ratings.read",
        "evaluation.consultations.write",
        "hotline.orders.read",
        "hotline.orders.write",
        "hall.tickets.take",
    }
)

# What an enterprise's representative may grant an agent (经办人); the representative holds them all.
ENTERPRISE: Final[frozenset[str]] = frozenset(
    {
        "application.applications.read",
        "application.applications.write",
        "payment.orders.read",
        "payment.orders.pay",
        "certificates.licenses.read",
        "certificates.licenses.share",
        "evaluation.ratings.write",
        "evaluation.ratings.read",
        "evaluation.consultations.write",
        "workflow.cases.read",
    }
)

# What staff may hold through the workbench (their roles, department and region still decide).
STAFF: Final[frozenset[str]] = frozenset(
    {
        "identity.account.read",
        "identity.account.write",
        "identity.people.verify",
        "identity.staff.admin",
        "catalog.items.write",
        "application.applications.read",
        "application.applications.write",
        "application.appointments.read",
        "application.appointments.write",
        "workflow.cases.read",
        "workflow.cases.handle",
        "workflow.supervision.read",
        "workflow.supervision.write",
        "workflow.calendar.write",
        "certificates.licenses.read",
        "certificates.licenses.issue",
        "payment.orders.read",
        "payment.orders.write",
        "payment.finance.manage",
        "exchange.shared.query",
        "exchange.registry.admin",
        "evaluation.ratings.read",
        "evaluation.rectifications.write",
        "hotline.orders.read",
        "hotline.orders.write",
        "hotline.orders.handle",
        "hotline.knowledge.write",
        "hotline.supervision.read",
        "hotline.rules.write",
        "hall.tickets.take",
        "hall.windows.operate",
        "hall.halls.admin",
        "hall.figures.read",
    }
)

# Scopes only a system (client credentials) may hold: never issued to a person's token.
SYSTEM_ONLY: Final[frozenset[str]] = frozenset(
    {
        "identity.holder.read",
        "application.delivery.write",
        "certificates.licenses.import",
        "exchange.catalog.read",
        "exchange.cases.write",
        "exchange.webhooks.manage",
        "exchange.discovery.read",
        "exchange.national.read",
        "evaluation.ratings.relay",
        "hotline.exchange.write",
    }
)


def default_for(kind: str) -> frozenset[str]:
    """What a first-party client gives a caller of ``kind`` (tests and demo clients start from this)."""
    if kind == "staff":
        return STAFF
    if kind == "enterprise":
        return ENTERPRISE
    if kind == "citizen":
        return PERSON
    return frozenset()


def unknown(scopes: set[str] | frozenset[str] | list[str]) -> list[str]:
    """Scopes that are neither OIDC nor in the catalogue."""
    return [s for s in scopes if s not in CATALOGUE and s not in OIDC]
