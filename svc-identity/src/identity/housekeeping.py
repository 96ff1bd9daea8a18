"""Deletes what has expired: pending sign-ins, codes, client-assertion ids, revoked access-token ids,
reset codes, refresh tokens past their lifetime, old sessions and stale throttle counters."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.db import Database
from identity.models import (
    AuthorizationCode,
    AuthorizationRequest,
    LoginSession,
    LoginThrottle,
    PasswordReset,
    RefreshToken,
    RevokedAccessToken,
    UsedAssertion,
)

log = logging.getLogger(__name__)

SESSION_RETENTION = timedelta(days=30)


async def purge_expired(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Delete expired rows; returns how many."""
    now = now or datetime.now(UTC)
    statements = [
        sa.delete(AuthorizationRequest).where(AuthorizationRequest.expires_at < now),
        sa.delete(AuthorizationCode).where(AuthorizationCode.expires_at < now - timedelta(hours=1)),
        sa.delete(UsedAssertion).where(UsedAssertion.expires_at < now),
        sa.delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now),
        sa.delete(PasswordReset).where(PasswordReset.expires_at < now - timedelta(days=1)),
        # A used refresh token is kept until it expires: presenting it again is how reuse is detected.
        sa.delete(RefreshToken).where(RefreshToken.expires_at < now),
        sa.delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < now - timedelta(days=1),
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        ),
        sa.delete(LoginSession).where(
            LoginSession.expires_at < now - SESSION_RETENTION,
            ~sa.exists().where(RefreshToken.session_id == LoginSession.id),
            ~sa.exists().where(AuthorizationCode.session_id == LoginSession.id),
            ~sa.exists().where(AuthorizationRequest.session_id == LoginSession.id),
        ),
    ]
    total = 0
    for statement in statements:
        result = await session.execute(statement)
        total += int(getattr(result, "rowcount", 0) or 0)
    return total


async def run(db: Database, *, every_seconds: float) -> None:
    """Purge periodically until cancelled; a failure is logged and retried next time."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            async with db.transaction() as session:
                removed = await purge_expired(session)
            if removed:
                log.info("housekeeping removed %d expired rows", removed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("housekeeping failed: %s", type(exc).__name__)
