"""Legal persons and their agents (经办人). The representative is a verified citizen; agents act within
the scopes and until the time the representative granted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gov_common.auth import Principal, require
from gov_common.deps import SessionDep
from identity import audit, idempotency
from identity.errors import (
    AccountNotFound,
    AssuranceTooLow,
    EnterpriseExists,
    EnterpriseNotFound,
    InvalidExpiry,
    InvalidIdentifierProblem,
    NotRepresentative,
    UnknownScope,
)
from identity.identifiers import InvalidIdentifier, parse_credit_code
from identity.models import Account, AgentGrant, Enterprise, RefreshToken
from identity.policy import ENTERPRISE_SCOPES

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

Citizen = Annotated[Principal, Depends(require(kinds=("citizen",)))]
MAX_GRANT = timedelta(days=366)


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=1, max_length=32, description="GB 32100 unified social credit code")


class EnterpriseRead(BaseModel):
    id: uuid.UUID
    name: str
    credit_code: str
    representative_id: uuid.UUID
    created_at: datetime


class AgentGrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_username: str = Field(min_length=1, max_length=64)
    scopes: list[str] = Field(min_length=1, max_length=20)
    expires_at: datetime


class AgentGrantRead(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    scopes: list[str]
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime


def _read(e: Enterprise) -> EnterpriseRead:
    return EnterpriseRead(
        id=e.id, name=e.name, credit_code=e.credit_code, representative_id=e.representative_id, created_at=e.created_at
    )


def _grant(g: AgentGrant) -> AgentGrantRead:
    return AgentGrantRead(
        id=g.id,
        agent_id=g.agent_id,
        scopes=g.scopes,
        expires_at=g.expires_at,
        revoked_at=g.revoked_at,
        created_at=g.created_at,
    )


async def _represented(session: SessionDep, credit_code: str, principal: Principal) -> Enterprise:
    enterprise = await session.scalar(sa.select(Enterprise).where(Enterprise.credit_code == credit_code.upper()))
    if enterprise is None:
        raise EnterpriseNotFound()
    if str(enterprise.representative_id) != principal.subject:
        raise NotRepresentative()
    return enterprise


@router.post("", status_code=201, response_model=EnterpriseRead, summary="Register an enterprise you legally represent")
async def create_enterprise(
    enterprise_in: EnterpriseCreate,
    session: SessionDep,
    principal: Citizen,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> JSONResponse:
    """The caller becomes the legal representative; their identity must be verified (level 2 or more)."""
    body = enterprise_in.model_dump()
    scope = f"enterprises:{principal.subject}"
    replayed = await idempotency.replay(session, idempotency_key, scope=scope, body=body)
    if replayed is not None:
        return JSONResponse(replayed, status_code=201)
    try:
        code = parse_credit_code(enterprise_in.credit_code)
    except InvalidIdentifier as exc:
        raise InvalidIdentifierProblem(str(exc), field="credit_code", reason=exc.reason) from None
    if principal.assurance_level < 2:
        raise AssuranceTooLow("verify your identity before registering an enterprise", required_level=2)
    if await session.scalar(sa.select(Enterprise.id).where(Enterprise.credit_code == code)):
        raise EnterpriseExists()
    enterprise = Enterprise(
        name=enterprise_in.name,
        credit_code=code,
        representative_id=uuid.UUID(principal.subject),
        created_at=datetime.now(UTC),
    )
    session.add(enterprise)
    await session.flush()
    await audit.record(session, "enterprise.registered", actor=principal.subject, target=str(enterprise.id))
    payload = _read(enterprise).model_dump(mode="json")
    await idempotency.remember(session, idempotency_key, scope=scope, body=body, response=payload)
    return JSONResponse(payload, status_code=201)


@router.post(
    "/{credit_code}/agents",
    status_code=201,
    response_model=AgentGrantRead,
    summary="Authorise an agent (representative only)",
)
async def grant_agent(
    credit_code: str, grant_in: AgentGrantCreate, session: SessionDep, principal: Citizen
) -> AgentGrantRead:
    enterprise = await _represented(session, credit_code, principal)
    unknown = sorted(set(grant_in.scopes) - ENTERPRISE_SCOPES)
    if unknown:
        raise UnknownScope(f"unknown scopes: {', '.join(unknown)}", scopes=unknown, allowed=sorted(ENTERPRISE_SCOPES))
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
        granted_by=uuid.UUID(principal.subject),
        created_at=now,
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session,
        "agent.granted",
        actor=principal.subject,
        target=str(agent.id),
        enterprise=enterprise.credit_code,
        scopes=grant.scopes,
        expires_at=expires.isoformat(),
    )
    return _grant(grant)


@router.get(
    "/{credit_code}/agents",
    response_model=list[AgentGrantRead],
    summary="The enterprise's agents (representative only)",
)
async def list_agents(credit_code: str, session: SessionDep, principal: Citizen) -> list[AgentGrantRead]:
    enterprise = await _represented(session, credit_code, principal)
    rows = (
        await session.scalars(
            sa.select(AgentGrant).where(AgentGrant.enterprise_id == enterprise.id).order_by(AgentGrant.created_at)
        )
    ).all()
    return [_grant(g) for g in rows]


@router.delete(
    "/{credit_code}/agents/{grant_id}",
    status_code=204,
    summary="Withdraw an agent's authorisation (representative only)",
)
async def revoke_agent(credit_code: str, grant_id: uuid.UUID, session: SessionDep, principal: Citizen) -> Response:
    enterprise = await _represented(session, credit_code, principal)
    grant = await session.get(AgentGrant, grant_id)
    if grant is None or grant.enterprise_id != enterprise.id:
        raise AccountNotFound("no such agent grant")
    at = datetime.now(UTC)
    grant.revoked_at = at
    await session.execute(
        sa.update(RefreshToken)
        .where(
            RefreshToken.account_id == grant.agent_id,
            RefreshToken.enterprise == enterprise.credit_code,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )
    await audit.record(
        session, "agent.revoked", actor=principal.subject, target=str(grant.agent_id), enterprise=enterprise.credit_code
    )
    return Response(status_code=204)
