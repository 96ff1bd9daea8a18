"""Accounts: registration, look-up by sign-in identifier, verification, recovery phone, password, sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_contracts import publish
from gov_contracts.identity import UserRegistered, UserVerified
from gov_standards.china_time import utcnow as now
from gov_standards.identifiers import InvalidIdentifier, parse_id_number
from identity import audit
from identity.accounts.schemas import AccountRead, CitizenCreate, PhoneChangeStart
from identity.basedata import PopulationBase
from identity.errors import (
    ChangeCodeWrong,
    InvalidIdentifierProblem,
    SamePhone,
    TooManyChanges,
    UsernameTaken,
    VerificationFailed,
    WeakPassword,
)
from identity.identifiers import is_mobile_number, mask_id_number, mask_phone
from identity.models import Account, LoginSession, PhoneChange, RefreshToken
from identity.passwords import hash_password, password_problem
from identity.pii import PersonalData
from identity.sms import SmsSender

ID_NUMBER = "id_number"
PHONE = "phone"
TOTP = "totp"

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
MAX_CHANGES_PER_HOUR = 5


def to_read(account: Account) -> AccountRead:
    return AccountRead(
        id=account.id,
        kind=account.kind,
        username=account.username,
        real_name=account.real_name,
        id_number_masked=account.id_number_masked,
        phone_masked=account.phone_masked,
        assurance_level=account.assurance_level,
        region=account.region_code,
        department=str(account.department_id) if account.department_id else None,
        roles=sorted(account.roles or []),
        totp_enrolled=account.totp_secret_enc is not None,
        created_at=account.created_at,
    )


def checked_phone(phone: str) -> str:
    phone = phone.strip().removeprefix("+86")
    if not is_mobile_number(phone):
        raise InvalidIdentifierProblem("not a mainland mobile number", field="phone", reason="bad-phone")
    return phone


def checked_id_number(raw: str) -> str:
    try:
        return parse_id_number(raw).value
    except InvalidIdentifier as exc:
        raise InvalidIdentifierProblem(str(exc), field="id_number", reason=exc.reason) from None


def checked_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise WeakPassword(problem)
    return password


def set_phone(account: Account, phone: str, pii: PersonalData) -> None:
    account.phone_enc = pii.encrypt(phone, kind=PHONE)
    account.phone_index = pii.index(phone, kind=PHONE)
    account.phone_masked = mask_phone(phone)


def set_id_number(account: Account, id_number: str, pii: PersonalData) -> None:
    account.id_number_enc = pii.encrypt(id_number, kind=ID_NUMBER)
    account.id_number_index = pii.index(id_number, kind=ID_NUMBER)
    account.id_number_masked = mask_id_number(id_number)


class AlreadyRegistered(Exception):
    """The ID number has an account: the caller must answer as for a new one (no enumeration)."""

    def __init__(self, account: Account) -> None:
        super().__init__("the ID number is registered")
        self.account = account


async def register_citizen(*, session: AsyncSession, pii: PersonalData, citizen_in: CitizenCreate) -> Account:
    """A level-1 citizen account; publishes ``identity.user.registered``. Raises :class:`UsernameTaken`, or
    :class:`AlreadyRegistered` (nothing created or changed) when the ID number has an account."""
    id_number = checked_id_number(citizen_in.id_number)
    phone = checked_phone(citizen_in.phone)
    checked_password(citizen_in.password)
    # Hashed whether or not the account exists, so that the answer takes as long either way.
    password_hash = hash_password(citizen_in.password)
    if await session.scalar(sa.select(Account.id).where(Account.username == citizen_in.username)):
        raise UsernameTaken("choose another user name")
    existing = await session.scalar(
        sa.select(Account).where(Account.id_number_index == pii.index(id_number, kind=ID_NUMBER))
    )
    if existing is not None:
        raise AlreadyRegistered(existing)
    account = Account(
        kind="citizen",
        username=citizen_in.username,
        password_hash=password_hash,
        real_name=citizen_in.real_name.strip(),
        assurance_level=1,
        roles=[],
        created_at=now(),
    )
    set_id_number(account, id_number, pii)
    set_phone(account, phone, pii)
    session.add(account)
    await session.flush()
    await publish_registered(session, account)
    await audit.record(session, "account.registered", actor=str(account.id), target=str(account.id))
    return account


async def text_account(sms: SmsSender, pii: PersonalData, account: Account, text: str) -> None:
    """A text message to the account's own mobile number (nothing when it has none)."""
    if account.phone_enc is not None:
        await sms.send(account_id=str(account.id), phone=pii.decrypt(account.phone_enc, kind=PHONE), text=text)


async def publish_registered(session: AsyncSession, account: Account) -> None:
    await publish(
        session,
        UserRegistered(
            account_id=str(account.id),
            kind="staff" if account.kind == "staff" else "citizen",
            assurance_level=account.assurance_level,
            id_number_masked=account.id_number_masked,
            phone_masked=account.phone_masked,
            region=account.region_code,
            department=str(account.department_id) if account.department_id else None,
            roles=sorted(account.roles or []),
            registered_at=account.created_at,
        ),
    )


async def find_for_login(session: AsyncSession, pii: PersonalData, identifier: str) -> Account | None:
    """The account a sign-in identifier names: user name, ID number or mobile number."""
    identifier = identifier.strip()
    account = await session.scalar(sa.select(Account).where(Account.username == identifier.lower()))
    if account is None and len(identifier) == 18:
        account = await session.scalar(
            sa.select(Account).where(Account.id_number_index == pii.index(identifier.upper(), kind=ID_NUMBER))
        )
    if account is None and is_mobile_number(identifier):
        rows = (
            await session.scalars(sa.select(Account).where(Account.phone_index == pii.index(identifier, kind=PHONE)))
        ).all()
        account = rows[0] if len(rows) == 1 else None  # a number shared by several accounts does not sign in
    return account


async def verify_with_base_data(
    *, session: AsyncSession, pii: PersonalData, population: PopulationBase, account: Account
) -> Account:
    """Raise the account to level 2 when the population base data confirm name and ID number."""
    if account.assurance_level >= 2:
        return account
    if account.id_number_enc is None:
        raise VerificationFailed("the account holds no ID number")
    id_number = pii.decrypt(account.id_number_enc, kind=ID_NUMBER)
    if not await population.matches(id_number=id_number, real_name=account.real_name):
        await audit.record(session, "account.verification_failed", actor=str(account.id), target=str(account.id))
        raise VerificationFailed("the name and ID number do not match the population base data")
    account.assurance_level = 2
    await _verified(session, account, method="population_base_data", by=None)
    return account


async def verify_in_person(*, session: AsyncSession, account: Account, staff_id: str) -> Account:
    account.assurance_level = 3
    await _verified(session, account, method="in_person", by=staff_id)
    return account


async def _verified(session: AsyncSession, account: Account, *, method: str, by: str | None) -> None:
    await session.flush()
    await publish(
        session,
        UserVerified(
            account_id=str(account.id),
            assurance_level=2 if account.assurance_level == 2 else 3,
            method="in_person" if method == "in_person" else "population_base_data",
            verified_by=by,
            verified_at=now(),
        ),
    )
    await audit.record(
        session, "account.verified", actor=by or str(account.id), target=str(account.id), level=account.assurance_level
    )


def code_digest(request_id: str, code: str) -> str:
    """What is kept of a code sent by text message: bound to its request, so a digest is useless elsewhere."""
    return hashlib.sha256(f"{request_id}:{code}".encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


async def start_phone_change(
    *, session: AsyncSession, pii: PersonalData, sms: SmsSender, account: Account, change_in: PhoneChangeStart
) -> PhoneChange:
    """Send a code to the new number; the number changes only when the code comes back. The caller has
    re-authenticated already (see :func:`identity.accounts.reauth.reauthenticate`)."""
    phone = checked_phone(change_in.phone)
    if account.phone_index == pii.index(phone, kind=PHONE):
        raise SamePhone()
    recent = await session.scalar(
        sa.select(sa.func.count())
        .select_from(PhoneChange)
        .where(PhoneChange.account_id == account.id, PhoneChange.created_at > now() - timedelta(hours=1))
    )
    if (recent or 0) >= MAX_CHANGES_PER_HOUR:
        raise TooManyChanges()
    change_id, code = secrets.token_urlsafe(24), new_code()
    change = PhoneChange(
        id=change_id,
        account_id=account.id,
        phone_enc=pii.encrypt(phone, kind=PHONE),
        code_hash=code_digest(change_id, code),
        created_at=now(),
        expires_at=now() + CODE_TTL,
    )
    session.add(change)
    await session.flush()
    await sms.send(
        account_id=str(account.id),
        phone=phone,
        text=f"【广西政务服务】验证码 {code}，10 分钟内有效，用于把本号码设为您账户的手机号。",
    )
    await audit.record(session, "account.phone_change_started", actor=str(account.id), target=str(account.id))
    return change


async def confirm_phone_change(
    *,
    session: AsyncSession,
    pii: PersonalData,
    sms: SmsSender,
    account: Account,
    change_id: str,
    code: str,
    keep_session: uuid.UUID | None,
) -> ChangeCodeWrong | None:
    """Set the new number if ``code`` is the one sent to it; tell the old number; end the other sessions.

    A wrong code is returned (not raised) with the attempt counted, for the caller to answer and commit."""
    change = await session.get(PhoneChange, change_id, with_for_update=True)
    if (
        change is None
        or change.account_id != account.id
        or change.confirmed_at is not None
        or change.attempts >= MAX_CODE_ATTEMPTS
        or change.expires_at <= now()
    ):
        raise ChangeCodeWrong()
    if not hmac.compare_digest(change.code_hash, code_digest(change_id, code)):
        change.attempts += 1
        return ChangeCodeWrong(attempts_left=max(0, MAX_CODE_ATTEMPTS - change.attempts))
    old = account.phone_enc
    new_phone = pii.decrypt(change.phone_enc, kind=PHONE)
    at = now()
    change.confirmed_at = at
    set_phone(account, new_phone, pii)
    account.recovery_changed_at = at
    # Other changes started earlier can no longer complete.
    await session.execute(
        sa.update(PhoneChange)
        .where(PhoneChange.account_id == account.id, PhoneChange.id != change_id, PhoneChange.confirmed_at.is_(None))
        .values(expires_at=at)
    )
    await end_other_sessions(session, account.id, keep_session)
    if old is not None:
        await sms.send(
            account_id=str(account.id),
            phone=pii.decrypt(old, kind=PHONE),
            text=(
                f"【广西政务服务】您账户的手机号已改为 {account.phone_masked}。如非本人操作，"
                "请立即携带身份证到政务服务大厅办理。"
            ),
        )
    await audit.record(session, "account.phone_changed", actor=str(account.id), target=str(account.id))
    return None


async def change_password(*, session: AsyncSession, account: Account, new: str, keep_session: uuid.UUID | None) -> None:
    """Set a new password for a person who has just re-authenticated (``reauth.reauthenticate``); every other
    session (and its refresh tokens) is signed out."""
    account.password_hash = hash_password(checked_password(new))
    await end_other_sessions(session, account.id, keep_session)
    await audit.record(session, "account.password_changed", actor=str(account.id), target=str(account.id))


async def end_other_sessions(session: AsyncSession, account_id: uuid.UUID, keep_session: uuid.UUID | None) -> None:
    """End every sign-on session of the account (and revoke their refresh tokens) but ``keep_session``."""
    sessions = sa.select(LoginSession.id).where(LoginSession.account_id == account_id, LoginSession.ended_at.is_(None))
    if keep_session is not None:
        sessions = sessions.where(LoginSession.id != keep_session)
    await end_sessions(session, list((await session.scalars(sessions)).all()))


async def end_sessions(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """End sign-on sessions and revoke every refresh token issued under them."""
    if not ids:
        return
    at = now()
    await session.execute(sa.update(LoginSession).where(LoginSession.id.in_(ids)).values(ended_at=at))
    await session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.session_id.in_(ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
