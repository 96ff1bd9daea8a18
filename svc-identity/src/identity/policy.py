"""Pure rules of sign-in and delegation: lockout back-off, which scopes a token may carry, role names."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from gov_common.scopes import ENTERPRISE, OIDC, SYSTEM_ONLY, default_for
from gov_common.scopes import unknown as unknown_scopes

ROLES = frozenset(
    {
        "acceptor",
        "reviewer",
        "approver",
        "supervisor",
        "hotline_operator",  # 12345 centre: records calls, dispatches, calls back
        "catalog_editor",
        "catalog_publisher",
        "platform_admin",
        "staff_admin",
        "finance",
    }
)
# Only a platform admin hands these out.
PRIVILEGED_ROLES = frozenset({"platform_admin", "staff_admin"})

# The kinds of people a client may serve (OAuthClient.account_kinds); what each may hold is scopes.default_for.
ACCOUNT_KINDS = ("citizen", "staff")


def lockout_seconds(failures: int, *, threshold: int, base: int, cap: int) -> int:
    """How long to lock after ``failures`` consecutive failures: nothing below ``threshold``, then ``base``
    doubling with each further failure, never more than ``cap``."""
    if failures < threshold:
        return 0
    return min(cap, base * 2 ** min(failures - threshold, 30))


def locked_until(failures: int, last_failure: datetime, *, threshold: int, base: int, cap: int) -> datetime | None:
    seconds = lockout_seconds(failures, threshold=threshold, base=base, cap=cap)
    return last_failure + timedelta(seconds=seconds) if seconds else None


def parse_scope(scope: str | None) -> list[str]:
    """Space-separated scope tokens, de-duplicated, order kept."""
    seen: dict[str, None] = {}
    for token in (scope or "").split():
        seen.setdefault(token, None)
    return list(seen)


def excess_scopes(requested: list[str], granted: frozenset[str] | set[str]) -> list[str]:
    """Requested scopes outside what was granted (OIDC scopes are always allowed)."""
    return [s for s in requested if s not in granted and s not in OIDC]


def person_scopes(
    requested: Iterable[str],
    *,
    client_scopes: Collection[str],
    client_kinds: Collection[str],
    account_kind: str,
    acting_scopes: Collection[str] | None = None,
    consented: Collection[str] | None = None,
) -> list[str]:
    """What a person's token carries: requested ∩ registered for the client ∩ what the person may hold
    (their kind's set, and only from a client that serves their kind; an enterprise's: its grant)
    ∩ consented (``None``: first-party, consent recorded). OIDC scopes always pass.
    Order of the request kept."""
    # A client not serving the person's kind (staff through the citizens' portal) gives an identity, no API.
    may_hold = default_for(account_kind) if account_kind in client_kinds else frozenset()
    if acting_scopes is not None:
        may_hold = may_hold & frozenset(acting_scopes) & ENTERPRISE
    kept = []
    for s in requested:
        platform_ok = s in may_hold and s in client_scopes
        if (s in OIDC or platform_ok) and (consented is None or s in consented):
            kept.append(s)
    return kept


def registration_problems(
    *, scopes: Iterable[str], grant_types: Collection[str], account_kinds: Collection[str]
) -> list[str]:
    """Why a client may not be registered for ``scopes``: names outside the catalogue, system-only scopes on a
    client that does not use client credentials, person scopes beyond the kinds of people it serves."""
    problems: list[str] = []
    wanted = set(scopes)
    unknown = sorted(unknown_scopes(wanted))
    if unknown:
        problems.append(f"unknown scopes (see discovery's scopes_supported): {', '.join(unknown)}")
    bad_kinds = sorted(set(account_kinds) - set(ACCOUNT_KINDS))
    if bad_kinds:
        problems.append(f"unknown account kinds: {', '.join(bad_kinds)}")
    system_only = sorted(wanted & SYSTEM_ONLY)
    if system_only and "client_credentials" not in grant_types:
        problems.append(f"only client-credentials clients may hold {', '.join(system_only)}")
    if "client_credentials" not in grant_types:
        may = frozenset().union(*(default_for(k) for k in account_kinds))
        beyond = sorted(wanted - may - OIDC - SYSTEM_ONLY - set(unknown))
        if beyond:
            kinds = ", ".join(sorted(account_kinds)) or "no kind of person"
            problems.append(f"a client serving {kinds} may not hold {', '.join(beyond)}")
    return problems


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` may not be registered as a redirect URI (None: it may): https, or http to a loopback
    host exactly (any port, RFC 8252 7.3), without user info or fragment."""
    if not uri or any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in uri):
        return f"{uri!r}: blanks, control characters and backslashes are not allowed"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"{uri!r}: not a valid URI"
    if "#" in uri:
        return f"{uri!r}: no fragment"
    if "@" in parts.netloc:
        return f"{uri!r}: no user info"
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return f"{uri!r}: https, or http to 127.0.0.1, [::1] or localhost only"
