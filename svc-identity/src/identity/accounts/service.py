"""Accounts: registration, look-up by sign-in identifier, verification, profile, password, sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from identity import audit
from identity.accounts.schemas import AccountRead, CitizenCreate, ProfileUpdate
from identity.basedata import PopulationBase
from identity.errors import (
    AccountExists,
    InvalidIdentifierProblem,
    VerificationFailed,
    WeakPassword,
    WrongPassword,
)
from identity.events import UserRegistered, UserVerified, publish
from identity.identifiers import InvalidIdentifier, is_mobile_number, mask_id_number, mask_phone, parse_id_number
from identity.models import Account, LoginSession, RefreshToken
from identity.passwords import hash_password, password_problem, verify_password
from identity.pii import PersonalData

ID_NUMBER = "id_number"
PHONE = "phone"


def now() -> datetime:
    return datetime.now(UTC)


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


async def register_citizen(*, session: AsyncSession, pii: PersonalData, citizen_in: CitizenCreate) -> Account:
    """A level-1 citizen account; publishes ``identity.user.registered``."""
    id_number = checked_id_number(citizen_in.id_number)
    phone = checked_phone(citizen_in.phone)
    checked_password(citizen_in.password)
    taken = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Account)
        .where(
            sa.or_(
                Account.username == citizen_in.username,
                Account.id_number_index == pii.index(id_number, kind=ID_NUMBER),
            )
        )
    )
    if taken:
        raise AccountExists("the user name or ID number is already registered")
    account = Account(
        kind="citizen",
        username=citizen_in.username,
        password_hash=hash_password(citizen_in.password),
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


async def publish_registered(session: AsyncSession, account: Account) -> None:
    await publish(
        session,
        "identity.user.registered",
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
        "identity.user.verified",
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


async def update_profile(
    *, session: AsyncSession, pii: PersonalData, account: Account, profile_in: ProfileUpdate
) -> Account:
    if profile_in.phone is not None:
        set_phone(account, checked_phone(profile_in.phone), pii)
        await audit.record(session, "account.phone_changed", actor=str(account.id), target=str(account.id))
    await session.flush()
    return account


async def change_password(
    *, session: AsyncSession, account: Account, current: str, new: str, keep_session: uuid.UUID | None
) -> None:
    """Set a new password; every other session (and its refresh tokens) is signed out."""
    if not verify_password(account.password_hash, current):
        await audit.record(session, "account.password_change_failed", actor=str(account.id), target=str(account.id))
        raise WrongPassword()
    account.password_hash = hash_password(checked_password(new))
    sessions = sa.select(LoginSession.id).where(LoginSession.account_id == account.id, LoginSession.ended_at.is_(None))
    if keep_session is not None:
        sessions = sessions.where(LoginSession.id != keep_session)
    ids = list((await session.scalars(sessions)).all())
    await end_sessions(session, ids)
    await audit.record(session, "account.password_changed", actor=str(account.id), target=str(account.id))


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
