"""Pure rules of sign-in and delegation: lockout back-off, scope narrowing, role names."""

from __future__ import annotations

from datetime import datetime, timedelta

ROLES = frozenset(
    {
        "acceptor",
        "reviewer",
        "approver",
        "supervisor",
        "catalog_editor",
        "catalog_publisher",
        "platform_admin",
        "staff_admin",
        "finance",
    }
)
# Only a platform admin hands these out.
PRIVILEGED_ROLES = frozenset({"platform_admin", "staff_admin"})

# What an enterprise agent may be granted (checked by the services that own the data).
ENTERPRISE_SCOPES = frozenset(
    {"application:submit", "application:read", "payment:pay", "license:read", "license:use", "evaluation:write"}
)
OIDC_SCOPES = frozenset({"openid", "profile", "phone", "offline_access"})


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
    return [s for s in requested if s not in granted and s not in OIDC_SCOPES]
