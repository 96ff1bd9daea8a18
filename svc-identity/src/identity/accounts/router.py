"""Citizen registration and "my account": recovery phone, password, verification, sessions."""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common import idempotency
from gov_common.auth import Principal, PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import read_time_id_cursor, time_id_cursor
from gov_standards.identifiers import parse_id_number
from identity import audit
from identity.accounts import service
from identity.accounts.reauth import reauthenticate
from identity.accounts.schemas import (
    AccountRead,
    CitizenCreate,
    PasswordChange,
    PhoneChangeConfirm,
    PhoneChangeStart,
    PhoneChangeStarted,
    RegistrationAccepted,
    SessionPage,
    SessionRead,
)
from identity.deps import AddressDep, IdentityDep
from identity.errors import AccountNotFound, SessionNotFound, TooManyRealNameChecks
from identity.identifiers import mask_phone
from identity.models import Account, AuditEvent, IdempotencyRecord, LoginSession

router = APIRouter(prefix="/v1", tags=["accounts"])
log = logging.getLogger(__name__)

READ = "identity.account.read"
WRITE = "identity.account.write"
PEOPLE_VERIFY = "identity.people.verify"
HOLDER_READ = "identity.holder.read"
HOLDER_MATCH = "identity.holder.match"


async def current_account(principal: PrincipalDep, session: SessionDep) -> Account:
    """The signed-in person's account (citizens, enterprise agents and staff; not systems)."""
    if principal.kind == "system":
        raise Forbidden("this operation is for people, not systems")
    try:
        account_id = uuid.UUID(principal.subject)
    except ValueError:
        raise AccountNotFound() from None
    account = await session.get(Account, account_id)
    if account is None or account.disabled:
        raise AccountNotFound()
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


@router.post(
    "/citizens",
    status_code=202,
    response_model=RegistrationAccepted,
    summary="Register as a citizen (level 1); the same answer whether or not the ID number has an account",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def register_citizen(
    citizen_in: CitizenCreate,
    session: SessionDep,
    identity: IdentityDep,
    address: AddressDep,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    """Anyone may register; the account starts at assurance level 1 until verified, and a text message
    confirms it. When the ID number already has an account nothing is created or changed, the answer is
    the same, and the account's owner is told by text message (so the form does not reveal who has an
    account). A taken user name is refused (409)."""
    # Anonymous: the key alone names the request (with the body's digest, which includes the password).
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal="",
        scope="citizens.register",
        key=idempotency_key,
        body=citizen_in.model_dump(mode="json"),
    )
    if claim.replay:
        return claim.response()
    try:
        account = await service.register_citizen(session=session, pii=identity.pii, citizen_in=citizen_in)
    except service.AlreadyRegistered as exc:
        await audit.record(session, "account.registration_repeated", target=str(exc.account.id), source_address=address)
        await service.text_account(
            identity.sms,
            identity.pii,
            exc.account,
            "【广西政务服务】有人用您的身份证号申请注册账户，未予注册。您已有账户，可直接登录或找回密码；"
            "如非本人操作，请留意账户安全。",
        )
    else:
        await service.text_account(
            identity.sms,
            identity.pii,
            account,
            f"【广西政务服务】账户 {account.username} 已注册，请登录并完成实名认证。",
        )
    return idempotency.remember(claim, status_code=202, body=RegistrationAccepted().model_dump(mode="json"))


@router.get("/me", response_model=AccountRead, summary="My account", dependencies=[scoped(READ)])
async def read_me(account: CurrentAccount) -> AccountRead:
    return service.to_read(account)


def _session_id(principal: Principal) -> uuid.UUID | None:
    """The sign-in session the token belongs to (its ``sid``), kept when the others are ended."""
    try:
        return uuid.UUID(principal.session_id) if principal.session_id else None
    except ValueError:
        return None


@router.post(
    "/me/phone-changes",
    status_code=202,
    response_model=PhoneChangeStarted,
    summary="Change my mobile number, step 1: re-authenticate; a code goes to the new number",
    dependencies=[scoped(WRITE)],
)
async def start_phone_change(
    change_in: PhoneChangeStart,
    request: Request,
    account: CurrentAccount,
    session: SessionDep,
    identity: IdentityDep,
) -> PhoneChangeStarted | JSONResponse:
    """The mobile number is where a forgotten-password code goes, so a token alone never changes it: the
    request carries the current password (staff who signed in within the last minutes may send a TOTP
    code instead)."""
    failed = await reauthenticate(
        session=session,
        identity=identity,
        request=request,
        account=account,
        password=change_in.current_password,
        totp_code=change_in.totp_code,
    )
    if failed is not None:
        # Answered, not raised: the failure counts towards the lockout and must be committed.
        return failed.to_response(instance=request.url.path)
    change = await service.start_phone_change(
        session=session, pii=identity.pii, sms=identity.sms, account=account, change_in=change_in
    )
    phone = service.checked_phone(change_in.phone)
    return PhoneChangeStarted(id=change.id, phone_masked=mask_phone(phone), expires_at=change.expires_at)


@router.post(
    "/me/phone-changes/{change_id}/confirmation",
    response_model=AccountRead,
    summary="Change my mobile number, step 2: the code sent to the new number (signs out my other sessions)",
    dependencies=[scoped(WRITE)],
)
async def confirm_phone_change(
    change_id: Annotated[str, Path(max_length=64)],
    confirm_in: PhoneChangeConfirm,
    request: Request,
    account: CurrentAccount,
    session: SessionDep,
    identity: IdentityDep,
    principal: PrincipalDep,
) -> AccountRead | JSONResponse:
    """The old number is told; every other session ends and its refresh tokens are revoked; a password
    reset by text message waits ``recovery_change_reset_delay_days`` after this."""
    wrong = await service.confirm_phone_change(
        session=session,
        pii=identity.pii,
        sms=identity.sms,
        account=account,
        change_id=change_id,
        code=confirm_in.code,
        keep_session=_session_id(principal),
    )
    if wrong is not None:
        return wrong.to_response(instance=request.url.path)
    return service.to_read(account)


@router.post(
    "/me/password",
    status_code=204,
    summary="Change my password (signs out my other sessions)",
    dependencies=[scoped(WRITE)],
)
async def change_password(
    change_in: PasswordChange, request: Request, account: CurrentAccount, session: SessionDep, identity: IdentityDep
) -> Response:
    # The current password is guessed against the same lockout as sign-in: a stolen token is no free oracle.
    failed = await reauthenticate(
        session=session,
        identity=identity,
        request=request,
        account=account,
        password=change_in.current_password,
        totp_code=None,
    )
    if failed is not None:
        return failed.to_response(instance=request.url.path)  # answered, not raised: the count is committed
    await service.change_password(session=session, account=account, new=change_in.new_password, keep_session=None)
    return Response(status_code=204)


@router.post(
    "/me/verification",
    response_model=AccountRead,
    summary="Verify me against the population base data",
    dependencies=[scoped(WRITE)],
)
async def verify_me(account: CurrentAccount, session: SessionDep, identity: IdentityDep) -> AccountRead:
    await service.verify_with_base_data(
        session=session, pii=identity.pii, population=identity.population, account=account
    )
    return service.to_read(account)


@router.get("/me/sessions", response_model=SessionPage, summary="My signed-in sessions", dependencies=[scoped(READ)])
async def list_sessions(
    account: CurrentAccount,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> SessionPage:
    query = (
        sa.select(LoginSession)
        .where(
            LoginSession.account_id == account.id,
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > datetime.now(UTC),
        )
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
        .limit(limit + 1)
    )
    if (after := read_time_id_cursor(cursor)) is not None:
        at, last_id = after
        query = query.where(
            sa.or_(LoginSession.created_at < at, sa.and_(LoginSession.created_at == at, LoginSession.id < last_id))
        )
    rows = list((await session.scalars(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        SessionRead(
            id=r.id,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            expires_at=r.expires_at,
            user_agent=r.user_agent,
            methods=list(r.amr or []),
        )
        for r in rows
    ]
    return SessionPage(items=items, next_cursor=time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None)


@router.delete(
    "/me/sessions/{session_id}",
    status_code=204,
    summary="Sign out one of my sessions",
    dependencies=[scoped(WRITE)],
)
async def end_session(session_id: uuid.UUID, account: CurrentAccount, session: SessionDep) -> Response:
    row = await session.get(LoginSession, session_id)
    if row is None or row.account_id != account.id or row.ended_at is not None:
        raise SessionNotFound()
    await service.end_sessions(session, [row.id])
    return Response(status_code=204)


@router.post(
    "/accounts/{account_id}/in-person-verification",
    response_model=AccountRead,
    summary="Record an in-person identity check at a service hall (level 3)",
)
async def verify_in_person(
    account_id: uuid.UUID,
    session: SessionDep,
    staff: Annotated[Principal, scoped(PEOPLE_VERIFY)],
) -> AccountRead:
    """Hall staff (acceptor role) confirm a citizen's identity face to face."""
    if staff.kind != "staff" or "acceptor" not in staff.roles:
        raise Forbidden("in-person verification is for hall staff", required_roles=["acceptor"])
    account = await session.get(Account, account_id)
    if account is None or account.kind != "citizen":
        raise AccountNotFound()
    await service.verify_in_person(session=session, account=account, staff_id=staff.subject)
    return service.to_read(account)


class RealNameCheck(BaseModel):
    """What hall staff typed or read from the person's ID card."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    id_number: str = Field(min_length=18, max_length=18, description="18-character ID number (GB 11643)")
    name: str = Field(min_length=1, max_length=100)

    @field_validator("id_number")
    @classmethod
    def _a_real_id_number(cls, value: str) -> str:
        return parse_id_number(value).value


class RealNameResult(BaseModel):
    matches: bool = Field(description="the name and ID number match the population base data")
    account_id: uuid.UUID | None = Field(
        description="the person's citizen account, only when they match and one exists (to register for it)"
    )
    assurance_level: int | None = Field(description="that account's level (3: verified in person)")


@router.post(
    "/real-name-checks",
    response_model=RealNameResult,
    summary="Check a person at a hall window against the population base data (hall staff)",
)
async def check_real_name(
    check_in: RealNameCheck,
    session: SessionDep,
    identity: IdentityDep,
    address: AddressDep,
    staff: Annotated[Principal, scoped(PEOPLE_VERIFY)],
) -> RealNameResult:
    """The platform's real-name check (the one a citizen's own verification uses), for the person standing at
    a hall acceptor's window: whether name and ID number match, and, only then, their account if they have
    one, so that an application registered for them shows in their own space. Each check is audited (who
    asked, the account found, the answer; never the number)."""
    if staff.kind != "staff" or "acceptor" not in staff.roles:
        raise Forbidden("real-name checks at a window are for hall staff", required_roles=["acceptor"])
    await _within_hourly_checks(session, staff.subject, identity.settings.real_name_checks_per_hour)
    matches = await identity.population.matches(id_number=check_in.id_number, real_name=check_in.name)
    account = None
    if matches:
        account = await session.scalar(
            sa.select(Account).where(
                Account.id_number_index == identity.pii.index(check_in.id_number, kind=service.ID_NUMBER),
                Account.kind == "citizen",
                Account.disabled.is_(False),
            )
        )
    await audit.record(
        session,
        "person.real_name_checked",
        actor=staff.subject,
        target=str(account.id) if account else None,
        client_id=staff.client_id,
        source_address=address,
        matches=matches,
    )
    return RealNameResult(
        matches=matches,
        account_id=account.id if account else None,
        assurance_level=account.assurance_level if account else None,
    )


async def _within_hourly_checks(session: AsyncSession, subject: str, limit: int) -> None:
    """Refuse (429, with when to try again) a staff member's check beyond ``limit`` in the last hour, counted
    from the audit trail, so that every replica counts the same. The check answers whether a name and an ID
    number belong together: unlimited, it would let one account try name after name against a number."""
    since = datetime.now(UTC) - timedelta(hours=1)
    count, oldest = (
        await session.execute(
            sa.select(sa.func.count(), sa.func.min(AuditEvent.at)).where(
                AuditEvent.action == "person.real_name_checked", AuditEvent.at > since, AuditEvent.actor == subject
            )
        )
    ).one()
    if count < limit:
        return
    wait = max(1, int(((oldest or since) + timedelta(hours=1) - datetime.now(UTC)).total_seconds()) + 1)
    log.warning("real-name checks refused: %s made %d in the last hour", subject, count)
    raise TooManyRealNameChecks(
        f"At most {limit} real-name checks an hour per staff member; try again in {wait} s.",
        headers={"Retry-After": str(wait)},
        retry_after_seconds=wait,
    )


class HolderRead(BaseModel):
    """A license holder's identifier, for svc-certificates to name the holder on an e-license."""

    id_type: Literal["citizen_id"]
    id_number: str
    name: str


@router.get(
    "/accounts/{subject}/holder",
    response_model=HolderRead,
    summary="A citizen's ID number and name for an e-license (system clients with identity.holder.read)",
)
async def read_holder(
    subject: uuid.UUID,
    session: SessionDep,
    identity: IdentityDep,
    request: Request,
    system: Annotated[Principal, scoped(HOLDER_READ)],
) -> HolderRead:
    """Only systems granted ``identity.holder.read`` (svc-certificates) read it; each read is audited
    (who, whose account; never the number itself)."""
    if system.kind != "system":
        raise Forbidden("this operation is for system clients")
    account = await session.get(Account, subject)
    if account is None or account.kind != "citizen" or account.disabled or account.id_number_enc is None:
        raise AccountNotFound()
    await audit.record(
        session,
        "account.holder_read",
        actor=system.subject,
        target=str(account.id),
        client_id=system.client_id,
        source_address=request.client.host if request.client else None,
    )
    return HolderRead(
        id_type="citizen_id",
        id_number=identity.pii.decrypt(account.id_number_enc, kind=service.ID_NUMBER),
        name=account.real_name,
    )


class HolderMatchAsk(BaseModel):
    """Whether the ID number read in front of a hall kiosk is the one of the account ``subject``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    subject: uuid.UUID = Field(description="the account (e.g. an appointment's holder)")
    id_number: str = Field(min_length=18, max_length=18, description="as the kiosk's real-name check read it")

    @field_validator("id_number")
    @classmethod
    def _a_real_id_number(cls, value: str) -> str:
        return parse_id_number(value).value


class HolderMatch(BaseModel):
    matches: bool


@router.post(
    "/holder-matches",
    response_model=HolderMatch,
    summary="Whether an ID number is an account's (system clients with identity.holder.match); yes or no only",
)
async def match_holder(
    ask: HolderMatchAsk,
    session: SessionDep,
    identity: IdentityDep,
    request: Request,
    system: Annotated[Principal, scoped(HOLDER_MATCH)],
) -> HolderMatch:
    """A hall's kiosk checks that the person whose ID card it read is the holder of the appointment (or
    case) in hand: the answer is yes or no, the same no for an unknown, disabled or non-citizen account, and
    never the number. The number is compared by its keyed hash; each ask is audited (who, whose account,
    the answer; never the number)."""
    if system.kind != "system":
        raise Forbidden("this operation is for system clients")
    account = await session.get(Account, ask.subject)
    index = identity.pii.index(ask.id_number, kind=service.ID_NUMBER)
    matches = (
        account is not None
        and account.kind == "citizen"
        and not account.disabled
        and account.id_number_index is not None
        and hmac.compare_digest(account.id_number_index, index)
    )
    await audit.record(
        session,
        "account.holder_match",
        actor=system.subject,
        target=str(ask.subject),
        client_id=system.client_id,
        source_address=request.client.host if request.client else None,
        matches=matches,
    )
    return HolderMatch(matches=matches)
