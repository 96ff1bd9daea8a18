"""Re-authentication for changes that could hand the account to someone else (a recovery factor): a bearer
token alone never suffices, since a stolen ten-minute token must not become the account for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import bearer_token
from gov_common.errors import ProblemError
from gov_standards.china_time import utcnow as now
from identity import audit
from identity.accounts.service import TOTP
from identity.deps import Identity
from identity.errors import ReauthenticationFailed
from identity.models import Account
from identity.oidc import throttle
from identity.oidc.tokens import read_access_token
from identity.org.service import totp_step
from identity.passwords import verify_password


class AccountLocked(ProblemError):
    slug, status, title = "account-locked", 429, "Too many failed attempts; try again later"


async def token_auth_time(identity: Identity, session: AsyncSession, request: Request) -> datetime | None:
    """When the person behind the request's token signed in, if the token says so."""
    claims = await read_access_token(identity, session, bearer_token(request))
    value = (claims or {}).get("auth_time")
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


async def reauthenticate(
    *,
    session: AsyncSession,
    identity: Identity,
    request: Request,
    account: Account,
    password: str | None,
    totp_code: str | None,
) -> ProblemError | None:
    """None when the request proves the person is there: the current password, or (staff only) a TOTP code
    under a token whose ``auth_time`` is within ``reauthentication_max_age_seconds`` (a token that does not
    say when its holder signed in needs the password). Otherwise the problem to answer; a wrong password or
    code counts towards the account's sign-in lockout, so it is returned (to be committed), not raised."""
    settings = identity.settings
    at = now()
    key = throttle.account_key(account.id)
    lock = await throttle.current_lock(session, [key], now=at)
    if lock is not None:
        return AccountLocked(headers={"Retry-After": str(lock.retry_after(at))})
    if password is not None:
        ok = verify_password(account.password_hash, password)
    elif totp_code is not None and account.kind == "staff" and account.totp_secret_enc is not None:
        signed_in = await token_auth_time(identity, session, request)
        if signed_in is None or at - signed_in > timedelta(seconds=settings.reauthentication_max_age_seconds):
            raise ReauthenticationFailed(
                "sign in again or send your current password: a TOTP code confirms only a recent sign-in",
                reason="password-required",
            )
        step = totp_step(identity.pii.decrypt(account.totp_secret_enc, kind=TOTP), totp_code, account.totp_last_step)
        ok = step is not None
        if step is not None:
            account.totp_last_step = step
    else:
        raise ReauthenticationFailed("send your current password", reason="password-required")
    if ok:
        return None
    await throttle.fail(session, key, threshold=settings.lockout_account_threshold, settings=settings, now=at)
    await audit.record(session, "account.reauthentication_failed", actor=str(account.id), target=str(account.id))
    return ReauthenticationFailed(reason="wrong-credentials")
