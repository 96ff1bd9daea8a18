"""Sign-in throttling per account and per source address, with exponential back-off."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import LoginThrottle
from identity.policy import locked_until
from identity.settings import Settings

# Failures older than this (and not holding a lock) no longer count as "in a row".
FAILURE_WINDOW = timedelta(hours=1)


def account_key(account_id: object) -> str:
    return f"acct:{account_id}"


def totp_key(account_id: object) -> str:
    # The second factor's own counter: a right password (which resets acct:) must not reset it.
    return f"totp:{account_id}"


def address_key(address: str | None) -> str:
    # The address is hashed: the throttle table is not where addresses should be kept.
    return "addr:" + hashlib.sha256((address or "unknown").encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Lock:
    until: datetime

    def retry_after(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


async def current_lock(session: AsyncSession, keys: list[str], *, now: datetime) -> Lock | None:
    """The longest lock held on any of ``keys``."""
    longest: datetime | None = None
    for key in keys:
        row = await session.get(LoginThrottle, key)
        until = row.locked_until if row else None
        if until is not None and until > now and (longest is None or until > longest):
            longest = until
    return Lock(longest) if longest else None


async def fail(session: AsyncSession, key: str, *, threshold: int, settings: Settings, now: datetime) -> Lock | None:
    """Count a failure on ``key``; the new lock when this failure locks it."""
    row = await session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        session.add(row)
    last = row.last_failure_at
    held = row.locked_until
    if last is not None and now - last > FAILURE_WINDOW and (held is None or held <= now):
        row.failures = 0
    row.failures = (row.failures or 0) + 1
    row.last_failure_at = now
    until = locked_until(
        row.failures, now, threshold=threshold, base=settings.lockout_base_seconds, cap=settings.lockout_max_seconds
    )
    row.locked_until = until
    await session.flush()
    return Lock(until) if until else None


async def succeed(session: AsyncSession, key: str) -> None:
    row = await session.get(LoginThrottle, key)
    if row is not None:
        row.failures = 0
        row.locked_until = None
