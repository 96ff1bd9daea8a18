"""Password resets: self-service by a code sent to the registered mobile number, and by a staff admin
for staff. Either ends every session of the account. Self-service waits some days after a recovery factor
changed (a stolen session that changed the number must not reset the password at once)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import ProblemError
from gov_standards.china_time import utcnow as now
from identity import audit
from identity.accounts.service import (
    CODE_TTL,
    MAX_CODE_ATTEMPTS,
    PHONE,
    checked_password,
    code_digest,
    end_other_sessions,
    find_for_login,
    new_code,
)
from identity.deps import AddressDep, Identity, IdentityDep
from identity.models import Account, PasswordReset
from identity.org.service import staff_in_scope
from identity.passwords import hash_password

router = APIRouter(prefix="/v1", tags=["accounts"])

MAX_RESETS_PER_HOUR = 5


class ResetCodeWrong(ProblemError):
    slug, status, title = "reset-code-wrong", 422, "The code is wrong or expired"


class ResetStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(min_length=1, max_length=64, description="user name, ID number or mobile number")


class ResetStarted(BaseModel):
    reset_id: str


class ResetComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d{6}$")
    new_password: str = Field(max_length=200)


class TemporaryPassword(BaseModel):
    temporary_password: str


@router.post(
    "/password-resets", status_code=202, response_model=ResetStarted, summary="Ask for a reset code by text message"
)
async def start_reset(
    reset_in: ResetStart, session: SessionDep, identity: IdentityDep, address: AddressDep
) -> ResetStarted:
    """Anyone may ask; the answer is the same whether or not the account exists (no enumeration)."""
    return ResetStarted(reset_id=await request_reset(session, identity, reset_in.identifier, address))


async def request_reset(session: AsyncSession, identity: Identity, identifier: str, address: str | None) -> str:
    """A reset's id; a code goes by text message only to a citizen's registered number, within the hourly
    limit and not soon after a recovery factor changed (the same id either way)."""
    reset_id, code = secrets.token_urlsafe(24), new_code()
    account = await find_for_login(session, identity.pii, identifier)
    usable = (
        account is not None and account.kind == "citizen" and account.phone_enc is not None and not account.disabled
    )
    if usable and account is not None:
        recent = await session.scalar(
            sa.select(sa.func.count())
            .select_from(PasswordReset)
            .where(PasswordReset.account_id == account.id, PasswordReset.expires_at > now() - timedelta(hours=1))
        )
        usable = (recent or 0) < MAX_RESETS_PER_HOUR  # beyond that, silently no more texts
        changed = account.recovery_changed_at
        delay = timedelta(days=identity.settings.recovery_change_reset_delay_days)
        if usable and changed is not None and changed > now() - delay:
            # Same answer, no usable code: the owner resets in person at a service hall meanwhile.
            usable = False
            await audit.record(session, "password.reset_delayed", target=str(account.id), source_address=address)
    session.add(
        PasswordReset(
            id=reset_id,
            account_id=account.id if usable and account else None,
            code_hash=code_digest(reset_id, code),
            expires_at=now() + CODE_TTL,
        )
    )
    if usable and account is not None and account.phone_enc is not None:
        phone = identity.pii.decrypt(account.phone_enc, kind=PHONE)
        await identity.sms.send(
            account_id=str(account.id),
            phone=phone,
            text=f"【广西政务服务】验证码 {code}，10 分钟内有效，用于重置密码。",
        )
        await audit.record(session, "password.reset_requested", target=str(account.id), source_address=address)
    return reset_id


@router.post("/password-resets/{reset_id}/completion", status_code=204, summary="Set a new password with the code")
async def complete_reset(
    reset_id: str, reset_in: ResetComplete, request: Request, session: SessionDep, address: AddressDep
) -> Response:
    checked_password(reset_in.new_password)
    wrong = await finish_reset(session, reset_id, reset_in.code, reset_in.new_password, address)
    if wrong is not None:
        # Answered, not raised: the failed attempt must be committed with the error.
        return wrong.to_response(instance=request.url.path)
    return Response(status_code=204)


async def finish_reset(
    session: AsyncSession, reset_id: str, code: str, new_password: str, address: str | None
) -> ResetCodeWrong | None:
    """Sets the new password (checked by the caller) and ends every session of the account; a wrong code
    counts an attempt and is returned, for the caller to answer after the attempt is committed."""
    reset = await session.get(PasswordReset, reset_id, with_for_update=True)
    if reset is None or reset.used_at is not None or reset.attempts >= MAX_CODE_ATTEMPTS or reset.expires_at <= now():
        raise ResetCodeWrong()
    if reset.account_id is None or not hmac.compare_digest(reset.code_hash, code_digest(reset_id, code)):
        reset.attempts += 1
        return ResetCodeWrong(attempts_left=max(0, MAX_CODE_ATTEMPTS - reset.attempts))
    account = await session.get(Account, reset.account_id)
    assert account is not None
    reset.used_at = now()
    account.password_hash = hash_password(new_password)
    await end_other_sessions(session, account.id, None)
    await audit.record(session, "password.reset", actor=str(account.id), target=str(account.id), source_address=address)
    return None


@router.post(
    "/staff/{staff_id}/password-reset",
    response_model=TemporaryPassword,
    summary="Give a staff member a temporary password (staff admin, own subtree; privileged accounts: platform admin)",
    dependencies=[scoped("identity.staff.admin")],
)
async def reset_staff_password(staff_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> TemporaryPassword:
    account = await staff_in_scope(session, principal, staff_id)
    temporary = secrets.token_urlsafe(12) + "-1a"
    account.password_hash = hash_password(temporary)
    await end_other_sessions(session, account.id, None)
    await audit.record(session, "password.reset_by_admin", actor=principal.subject, target=str(account.id))
    return TemporaryPassword(temporary_password=temporary)
