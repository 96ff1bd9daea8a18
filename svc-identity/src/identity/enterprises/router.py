"""Legal persons and their agents (经办人). The representative is a verified citizen whom the legal-person
base (or staff) confirmed; agents act within the scopes and until the time the representative granted."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from gov_common import idempotency
from gov_common.auth import PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created, public_path
from gov_common.pagination import Cursor, Page, read_time_id_cursor, time_id_cursor
from gov_common.scopes import ENTERPRISE
from gov_standards.regions import region_prefix
from identity import audit
from identity.deps import IdentityDep
from identity.enterprises import service
from identity.enterprises.schemas import (
    AgentGrantCreate,
    AgentGrantRead,
    DisputeCreate,
    DisputeDecision,
    DisputePage,
    DisputeRead,
    EnterpriseCreate,
    RegistrationDecision,
    RegistrationPage,
    RegistrationRead,
)
from identity.errors import AccountNotFound, EnterpriseNotFound, InvalidExpiry, NotRepresentative, UnknownScope
from identity.models import (
    Account,
    AgentGrant,
    Enterprise,
    EnterpriseDispute,
    EnterpriseRegistration,
    IdempotencyRecord,
)
from identity.org.service import admin_region

router = APIRouter(prefix="/v1", tags=["enterprises"])

READ = "identity.enterprises.read"
WRITE = "identity.enterprises.write"
STAFF_ADMIN = "identity.staff.admin"
MAX_GRANT = timedelta(days=366)
CreditCode = Annotated[str, Path(min_length=1, max_length=32)]


async def citizen_account(principal: PrincipalDep, session: SessionDep) -> Account:
    """The citizen acting for themself (an agent's enterprise token does not manage enterprises)."""
    if principal.kind != "citizen":
        raise Forbidden("this operation is for citizens acting for themselves")
    account = await session.get(Account, uuid.UUID(principal.subject))
    if account is None or account.disabled:
        raise AccountNotFound()
    return account


CitizenAccount = Annotated[Account, Depends(citizen_account)]


def _grant(g: AgentGrant) -> AgentGrantRead:
    return AgentGrantRead(
        id=g.id,
        agent_id=g.agent_id,
        scopes=g.scopes,
        expires_at=g.expires_at,
        revoked_at=g.revoked_at,
        created_at=g.created_at,
    )


async def _represented(session: SessionDep, credit_code: str, account: Account) -> Enterprise:
    enterprise = await service.by_credit_code(session, credit_code)
    if enterprise is None:
        raise EnterpriseNotFound()
    if enterprise.representative_id != account.id:
        raise NotRepresentative()
    return enterprise


@router.post(
    "/enterprises",
    status_code=201,
    response_model=RegistrationRead,
    responses={202: {"model": RegistrationRead, "description": "pending: staff must verify the claim"}},
    summary="Register an enterprise you legally represent (checked against the legal-person base)",
    dependencies=[scoped(WRITE)],
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_enterprise(
    enterprise_in: EnterpriseCreate,
    request: Request,
    session: SessionDep,
    identity: IdentityDep,
    account: CitizenAccount,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    """Your identity must be verified (level 2). When the legal-person base names you as the enterprise's
    representative under this name, the enterprise is registered (201, ``verified``). When the base does
    not hold the credit code, the claim waits for staff (202, ``pending``): it gives no enterprise scopes
    and no agents, and blocks no one else's claim. When the base names someone else (or another name),
    it is refused (422). A registered enterprise answers 409 with the dispute path."""
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=str(account.id),
        scope="enterprises.register",
        key=idempotency_key,
        body=enterprise_in.model_dump(mode="json"),
    )
    if claim.replay:
        if claim.record.status_code >= 400:  # a refused claim names no registration
            return claim.response()
        return created(request, claim.response(), f"/v1/enterprise-registrations/{claim.record.body['id']}")
    outcome = await service.register(
        session=session, pii=identity.pii, base=identity.legal_persons, account=account, enterprise_in=enterprise_in
    )
    if not isinstance(outcome, tuple):
        # A refusal is committed (its audit row): remembered, so the same key answers it again.
        refused = outcome.to_response(instance=public_path(request))
        return idempotency.remember(claim, status_code=refused.status_code, body=json.loads(bytes(refused.body)))
    registration, enterprise = outcome
    payload = service.registration_read(registration, enterprise).model_dump(mode="json")
    answer = idempotency.remember(claim, status_code=201 if enterprise is not None else 202, body=payload)
    return created(request, answer, f"/v1/enterprise-registrations/{registration.id}")


@router.get(
    "/enterprises/registrations",
    response_model=RegistrationPage,
    summary="My claims to represent enterprises and their status",
    dependencies=[scoped(READ)],
)
async def my_registrations(session: SessionDep, account: CitizenAccount) -> RegistrationPage:
    rows = (
        await session.scalars(
            sa.select(EnterpriseRegistration)
            .where(EnterpriseRegistration.applicant_id == account.id)
            .order_by(EnterpriseRegistration.created_at.desc())
            .limit(100)
        )
    ).all()
    registered = {
        e.credit_code: e
        for e in (
            await session.scalars(
                sa.select(Enterprise).where(Enterprise.credit_code.in_([r.credit_code for r in rows]))
            )
        ).all()
    }
    return RegistrationPage(
        items=[service.registration_read(r, registered.get(r.credit_code)) for r in rows], next_cursor=None
    )


@router.get(
    "/enterprise-registrations",
    response_model=RegistrationPage,
    summary="Claims to verify (staff admin of the region, platform admin)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def list_registrations(
    session: SessionDep,
    principal: PrincipalDep,
    status: Literal["pending", "verified", "rejected"] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> RegistrationPage:
    query = sa.select(EnterpriseRegistration).where(EnterpriseRegistration.status == status)
    if (region := admin_region(principal)) is not None:
        query = query.where(EnterpriseRegistration.region_code.startswith(region_prefix(region)))
    if (after := read_time_id_cursor(cursor)) is not None:
        query = query.where(sa.tuple_(EnterpriseRegistration.created_at, EnterpriseRegistration.id) > after)
    order = (EnterpriseRegistration.created_at, EnterpriseRegistration.id)
    rows = (await session.scalars(query.order_by(*order).limit(limit + 1))).all()
    page = rows[:limit]
    nxt = time_id_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return RegistrationPage(items=[service.registration_read(r) for r in page], next_cursor=nxt)


@router.post(
    "/enterprise-registrations/{registration_id}/decision",
    response_model=RegistrationRead,
    summary="Verify or reject a pending claim after checking it in person (staff admin of the region)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def decide_registration(
    registration_id: uuid.UUID, decision_in: RegistrationDecision, session: SessionDep, principal: PrincipalDep
) -> RegistrationRead:
    registration, enterprise = await service.decide_registration(
        session=session, principal=principal, registration_id=registration_id, verified=decision_in.verified
    )
    return service.registration_read(registration, enterprise)


@router.post(
    "/enterprises/{credit_code}/disputes",
    status_code=201,
    response_model=DisputeRead,
    summary="Claim a registered enterprise you represent (staff decide)",
    dependencies=[scoped(WRITE)],
)
async def open_dispute(
    credit_code: CreditCode,
    dispute_in: DisputeCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    identity: IdentityDep,
    account: CitizenAccount,
) -> DisputeRead:
    """The dispute is recorded with what the legal-person base says of you; staff (a staff admin of the
    enterprise's region, or a platform admin) decide. Nothing changes until they do."""
    dispute, enterprise = await service.open_dispute(
        session=session,
        pii=identity.pii,
        base=identity.legal_persons,
        account=account,
        credit_code=credit_code,
        reason=dispute_in.reason,
    )
    created(request, response, f"/v1/enterprise-disputes/{dispute.id}")
    return service.dispute_read(dispute, enterprise.credit_code)


@router.get(
    "/enterprise-disputes",
    response_model=DisputePage,
    summary="Disputes over who represents an enterprise (staff admin of the region, platform admin)",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def list_disputes(
    session: SessionDep,
    principal: PrincipalDep,
    status: Literal["open", "upheld", "dismissed"] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> DisputePage:
    query = (
        sa.select(EnterpriseDispute, Enterprise.credit_code)
        .join(Enterprise, Enterprise.id == EnterpriseDispute.enterprise_id)
        .where(EnterpriseDispute.status == status)
    )
    if (region := admin_region(principal)) is not None:
        query = query.where(EnterpriseDispute.region_code.startswith(region_prefix(region)))
    if (after := read_time_id_cursor(cursor)) is not None:
        query = query.where(sa.tuple_(EnterpriseDispute.created_at, EnterpriseDispute.id) > after)
    order = (EnterpriseDispute.created_at, EnterpriseDispute.id)
    rows = (await session.execute(query.order_by(*order).limit(limit + 1))).all()
    page = rows[:limit]
    nxt = time_id_cursor(page[-1][0].created_at, page[-1][0].id) if len(rows) > limit else None
    return DisputePage(items=[service.dispute_read(d, code) for d, code in page], next_cursor=nxt)


@router.post(
    "/enterprise-disputes/{dispute_id}/decision",
    response_model=DisputeRead,
    summary="Uphold (the claimant becomes representative, the former one's grants end) or dismiss a dispute",
    dependencies=[scoped(STAFF_ADMIN)],
)
async def decide_dispute(
    dispute_id: uuid.UUID, decision_in: DisputeDecision, session: SessionDep, principal: PrincipalDep
) -> DisputeRead:
    dispute, enterprise = await service.decide_dispute(
        session=session, principal=principal, dispute_id=dispute_id, upheld=decision_in.upheld
    )
    return service.dispute_read(dispute, enterprise.credit_code)


@router.post(
    "/enterprises/{credit_code}/agents",
    status_code=201,
    response_model=AgentGrantRead,
    summary="Authorise an agent (representative only)",
    dependencies=[scoped(WRITE)],
)
async def grant_agent(
    credit_code: CreditCode,
    grant_in: AgentGrantCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    account: CitizenAccount,
) -> AgentGrantRead:
    enterprise = await _represented(session, credit_code, account)
    unknown = sorted(set(grant_in.scopes) - ENTERPRISE)
    if unknown:
        raise UnknownScope(f"unknown scopes: {', '.join(unknown)}", scopes=unknown, allowed=sorted(ENTERPRISE))
    expires = grant_in.expires_at if grant_in.expires_at.tzinfo else grant_in.expires_at.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if not now < expires <= now + MAX_GRANT:
        raise InvalidExpiry("expires_at must be in the future and within a year", field="expires_at")
    agent = await session.scalar(
        sa.select(Account).where(Account.username == grant_in.agent_username.lower(), Account.kind == "citizen")
    )
    if agent is None:
        raise AccountNotFound("no citizen account with this user name")
    grant = AgentGrant(
        enterprise_id=enterprise.id,
        agent_id=agent.id,
        scopes=sorted(set(grant_in.scopes)),
        expires_at=expires,
        granted_by=account.id,
        created_at=now,
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session,
        "agent.granted",
        actor=str(account.id),
        target=str(agent.id),
        enterprise=enterprise.credit_code,
        scopes=grant.scopes,
        expires_at=expires.isoformat(),
    )
    created(request, response, f"/v1/enterprises/{enterprise.credit_code}/agents/{grant.id}")
    return _grant(grant)


@router.get(
    "/enterprises/{credit_code}/agents",
    response_model=Page[AgentGrantRead],
    summary="The enterprise's agents (representative only; one page: all)",
    dependencies=[scoped(READ)],
)
async def list_agents(credit_code: CreditCode, session: SessionDep, account: CitizenAccount) -> Page[AgentGrantRead]:
    enterprise = await _represented(session, credit_code, account)
    rows = (
        await session.scalars(
            sa.select(AgentGrant).where(AgentGrant.enterprise_id == enterprise.id).order_by(AgentGrant.created_at)
        )
    ).all()
    return Page(items=[_grant(g) for g in rows])


@router.delete(
    "/enterprises/{credit_code}/agents/{grant_id}",
    status_code=204,
    summary="Withdraw an agent's authorisation (representative only)",
    dependencies=[scoped(WRITE)],
)
async def revoke_agent(
    credit_code: CreditCode, grant_id: uuid.UUID, session: SessionDep, account: CitizenAccount
) -> Response:
    enterprise = await _represented(session, credit_code, account)
    grant = await session.get(AgentGrant, grant_id)
    if grant is None or grant.enterprise_id != enterprise.id:
        raise AccountNotFound("no such agent grant")
    grant.revoked_at = datetime.now(UTC)
    await service.end_acting_sessions(session, [grant.agent_id])
    await audit.record(
        session, "agent.revoked", actor=str(account.id), target=str(grant.agent_id), enterprise=enterprise.credit_code
    )
    return Response(status_code=204)
