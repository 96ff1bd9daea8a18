"""Who represents an enterprise. A claim is checked against the legal-person base (credit code, name and
the representative's identity): confirmed, the enterprise is registered; unknown to the base, it waits for
staff (and gives nothing meanwhile: no enterprise scopes, no agents); contradicted, it is refused. A
representative recorded wrongly is taken back through a dispute that staff decide."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.policy import STAFF_ADMIN, admin_of
from gov_standards.china_time import utcnow as now
from gov_standards.identifiers import InvalidIdentifier, parse_credit_code
from identity import audit
from identity.accounts.service import ID_NUMBER, end_other_sessions
from identity.basedata import LegalPersonBase, LegalPersonCheck
from identity.enterprises.schemas import DisputeRead, EnterpriseCreate, EnterpriseRead, RegistrationRead
from identity.errors import (
    AccountNotFound,
    AlreadyDecided,
    AlreadyRepresentative,
    AssuranceTooLow,
    DisputeNotFound,
    EnterpriseExists,
    EnterpriseNotFound,
    InvalidIdentifierProblem,
    LegalPersonMismatch,
    NotOnYourself,
    OutsideRegion,
    RegistrationNotFound,
)
from identity.models import Account, AgentGrant, Enterprise, EnterpriseDispute, EnterpriseRegistration
from identity.pii import PersonalData

BASE_DATA = "legal-person-base"  # decided_by of a registration the base confirmed


def region_of(credit_code: str) -> str:
    """The registering authority's division code (characters 3-8 of a GB 32100 credit code)."""
    return credit_code[2:8]


def checked_credit_code(raw: str) -> str:
    try:
        return parse_credit_code(raw)
    except InvalidIdentifier as exc:
        raise InvalidIdentifierProblem(str(exc), field="credit_code", reason=exc.reason) from None


def enterprise_read(e: Enterprise) -> EnterpriseRead:
    return EnterpriseRead(
        id=e.id, name=e.name, credit_code=e.credit_code, representative_id=e.representative_id, created_at=e.created_at
    )


def registration_read(r: EnterpriseRegistration, enterprise: Enterprise | None = None) -> RegistrationRead:
    return RegistrationRead(
        id=r.id,
        credit_code=r.credit_code,
        name=r.name,
        status=r.status,
        applicant_id=r.applicant_id,
        enterprise_id=enterprise.id if enterprise is not None and r.status == "verified" else None,
        created_at=r.created_at,
        decided_at=r.decided_at,
    )


def dispute_read(d: EnterpriseDispute, credit_code: str) -> DisputeRead:
    return DisputeRead(
        id=d.id,
        credit_code=credit_code,
        claimant_id=d.claimant_id,
        representative_id=d.representative_id,
        reason=d.reason,
        base_check=d.base_check,
        status=d.status,
        created_at=d.created_at,
        decided_at=d.decided_at,
    )


async def by_credit_code(session: AsyncSession, credit_code: str) -> Enterprise | None:
    return await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == credit_code.upper()))


IN_PERSON_LEVEL = 3


def _verified_person(account: Account) -> None:
    if account.assurance_level < 2 or account.id_number_enc is None:
        raise AssuranceTooLow("verify your identity before claiming an enterprise", required_level=2)


async def check_representative(
    *, base: LegalPersonBase, pii: PersonalData, account: Account, credit_code: str, name: str
) -> LegalPersonCheck:
    assert account.id_number_enc is not None
    return await base.check(
        credit_code=credit_code,
        name=name.strip(),
        representative_id_number=pii.decrypt(account.id_number_enc, kind=ID_NUMBER),
        representative_name=account.real_name,
    )


async def register(
    *,
    session: AsyncSession,
    pii: PersonalData,
    base: LegalPersonBase,
    account: Account,
    enterprise_in: EnterpriseCreate,
) -> tuple[EnterpriseRegistration, Enterprise | None] | LegalPersonMismatch:
    """The claim and, when the base confirmed it, the registered enterprise. A claim the base contradicts is
    returned as the problem to answer (its audit row must be committed), nothing else created."""
    code = checked_credit_code(enterprise_in.credit_code)
    _verified_person(account)
    if await by_credit_code(session, code) is not None:
        raise EnterpriseExists(
            "the enterprise is registered; if you represent it, file a dispute",
            dispute=f"/v1/enterprises/{code}/disputes",
        )
    check = await check_representative(base=base, pii=pii, account=account, credit_code=code, name=enterprise_in.name)
    if check is LegalPersonCheck.MISMATCH:
        await audit.record(session, "enterprise.registration_refused", actor=str(account.id), credit_code=code)
        return LegalPersonMismatch(
            "check the name; if the base data are out of date, bring the business licence to a service hall"
        )
    if check is LegalPersonCheck.UNKNOWN:
        pending = await session.scalar(
            sa.select(EnterpriseRegistration).where(
                EnterpriseRegistration.credit_code == code,
                EnterpriseRegistration.applicant_id == account.id,
                EnterpriseRegistration.status == "pending",
            )
        )
        if pending is not None:
            return pending, None
    at = now()
    registration = EnterpriseRegistration(
        credit_code=code,
        name=enterprise_in.name.strip(),
        region_code=region_of(code),
        applicant_id=account.id,
        status="pending",
        created_at=at,
    )
    session.add(registration)
    enterprise = None
    # A level-2 account proved it knows the representative's name and ID number, not that it is them:
    # only someone verified in person (level 3) is registered on the base's word; the rest wait for staff.
    if check is LegalPersonCheck.MATCH and account.assurance_level >= IN_PERSON_LEVEL:
        enterprise = await _enter(session, registration, decided_by=BASE_DATA)
    await session.flush()
    await audit.record(
        session,
        "enterprise.registration_" + registration.status,
        actor=str(account.id),
        target=str(registration.id),
        credit_code=code,
    )
    return registration, enterprise


async def _enter(session: AsyncSession, registration: EnterpriseRegistration, *, decided_by: str) -> Enterprise:
    """Register the enterprise the claim names, with its applicant as representative."""
    at = now()
    registration.status, registration.decided_by, registration.decided_at = "verified", decided_by, at
    enterprise = Enterprise(
        name=registration.name,
        credit_code=registration.credit_code,
        representative_id=registration.applicant_id,
        created_at=at,
    )
    session.add(enterprise)
    # Other people's claims to it end here (a dispute remains open to them).
    await session.execute(
        sa.update(EnterpriseRegistration)
        .where(
            EnterpriseRegistration.credit_code == registration.credit_code,
            EnterpriseRegistration.status == "pending",
            EnterpriseRegistration.id != registration.id,
        )
        .values(status="rejected", decided_by=decided_by, decided_at=at)
    )
    await session.flush()
    return enterprise


def _administer(principal: Principal, region: str, *people: uuid.UUID) -> None:
    """A platform admin, or a staff admin of the region; never someone deciding their own claim."""
    if not admin_of(principal, region, role=STAFF_ADMIN):
        raise OutsideRegion(f"region {region} is outside your administration", region=region)
    if principal.subject in {str(p) for p in people}:
        raise NotOnYourself()


async def decide_registration(
    *, session: AsyncSession, principal: Principal, registration_id: uuid.UUID, verified: bool
) -> tuple[EnterpriseRegistration, Enterprise | None]:
    registration = await session.get(EnterpriseRegistration, registration_id, with_for_update=True)
    if registration is None:
        raise RegistrationNotFound()
    _administer(principal, registration.region_code, registration.applicant_id)
    if registration.status != "pending":
        raise AlreadyDecided(f"the registration is {registration.status}")
    applicant = await session.get(Account, registration.applicant_id)
    enterprise = None
    if verified:
        if applicant is None or applicant.disabled:
            raise AccountNotFound("the applicant's account is closed")
        if await by_credit_code(session, registration.credit_code) is not None:
            raise EnterpriseExists("the enterprise is registered; a dispute decides who represents it")
        enterprise = await _enter(session, registration, decided_by=principal.subject)
    else:
        registration.status, registration.decided_by, registration.decided_at = "rejected", principal.subject, now()
    await audit.record(
        session,
        "enterprise.registration_" + registration.status,
        actor=principal.subject,
        target=str(registration.id),
        credit_code=registration.credit_code,
    )
    return registration, enterprise


async def open_dispute(
    *,
    session: AsyncSession,
    pii: PersonalData,
    base: LegalPersonBase,
    account: Account,
    credit_code: str,
    reason: str,
) -> tuple[EnterpriseDispute, Enterprise]:
    """Record the claimant's dispute (one open per claimant and enterprise) with what the base says."""
    code = checked_credit_code(credit_code)
    enterprise = await by_credit_code(session, code)
    if enterprise is None:
        raise EnterpriseNotFound()
    _verified_person(account)
    if enterprise.representative_id == account.id:
        raise AlreadyRepresentative()
    existing = await session.scalar(
        sa.select(EnterpriseDispute).where(
            EnterpriseDispute.enterprise_id == enterprise.id,
            EnterpriseDispute.claimant_id == account.id,
            EnterpriseDispute.status == "open",
        )
    )
    if existing is not None:
        return existing, enterprise
    check = await check_representative(base=base, pii=pii, account=account, credit_code=code, name=enterprise.name)
    dispute = EnterpriseDispute(
        enterprise_id=enterprise.id,
        region_code=region_of(code),
        claimant_id=account.id,
        representative_id=enterprise.representative_id,
        reason=reason.strip(),
        base_check=check.value,
        status="open",
        created_at=now(),
    )
    session.add(dispute)
    await session.flush()
    await audit.record(
        session,
        "enterprise.disputed",
        actor=str(account.id),
        target=str(dispute.id),
        credit_code=code,
        base=check.value,
    )
    return dispute, enterprise


async def decide_dispute(
    *, session: AsyncSession, principal: Principal, dispute_id: uuid.UUID, upheld: bool
) -> tuple[EnterpriseDispute, Enterprise]:
    dispute = await session.get(EnterpriseDispute, dispute_id, with_for_update=True)
    if dispute is None:
        raise DisputeNotFound()
    _administer(principal, dispute.region_code, dispute.claimant_id, dispute.representative_id)
    if dispute.status != "open":
        raise AlreadyDecided(f"the dispute is {dispute.status}")
    enterprise = await session.get(Enterprise, dispute.enterprise_id, with_for_update=True)
    assert enterprise is not None
    if upheld and enterprise.representative_id != dispute.representative_id:
        raise AlreadyDecided("the representative changed since this dispute was filed")
    at = now()
    dispute.status, dispute.decided_by, dispute.decided_at = (
        ("upheld" if upheld else "dismissed"),
        principal.subject,
        at,
    )
    if upheld:
        await transfer(session, enterprise, to=dispute.claimant_id, at=at)
    await audit.record(
        session,
        "enterprise.dispute_" + dispute.status,
        actor=principal.subject,
        target=str(dispute.id),
        credit_code=enterprise.credit_code,
    )
    return dispute, enterprise


async def end_acting_sessions(session: AsyncSession, account_ids: list[uuid.UUID]) -> None:
    """End every open sign-in session of people whose right to act for an enterprise just ended: their
    refresh tokens are revoked and their live access tokens listed as revoked (by sid), so an enterprise token
    stops working everywhere within seconds, not when it expires. They sign in again, for themselves."""
    for account_id in dict.fromkeys(account_ids):
        await end_other_sessions(session, account_id, None)


async def transfer(session: AsyncSession, enterprise: Enterprise, *, to: uuid.UUID, at: datetime) -> None:
    """Make ``to`` the representative: every agent grant the former one gave ends, and every refresh token
    issued to act for the enterprise is revoked (the former representative's and the agents')."""
    former = enterprise.representative_id
    enterprise.representative_id = to
    agents = (
        await session.scalars(
            sa.select(AgentGrant.agent_id).where(
                AgentGrant.enterprise_id == enterprise.id, AgentGrant.revoked_at.is_(None)
            )
        )
    ).all()
    await session.execute(
        sa.update(AgentGrant)
        .where(AgentGrant.enterprise_id == enterprise.id, AgentGrant.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    await end_acting_sessions(session, [former, *agents])
    await audit.record(
        session,
        "enterprise.representative_changed",
        target=str(enterprise.id),
        credit_code=enterprise.credit_code,
        former=str(former),
        representative=str(to),
    )
