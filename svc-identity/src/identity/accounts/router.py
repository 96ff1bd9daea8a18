"""Citizen registration and "my account": profile, password, verification, sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gov_common.auth import Principal, PrincipalDep, require
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import read_time_id_cursor, time_id_cursor
from identity import audit, idempotency
from identity.accounts import service
from identity.accounts.schemas import (
    AccountRead,
    CitizenCreate,
    PasswordChange,
    ProfileUpdate,
    SessionPage,
    SessionRead,
)
from identity.deps import IdentityDep
from identity.errors import AccountNotFound, SessionNotFound
from identity.models import Account, LoginSession

router = APIRouter(prefix="/v1", tags=["accounts"])


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


@router.post("/citizens", status_code=201, response_model=AccountRead, summary="Register as a citizen (level 1)")
async def register_citizen(
    citizen_in: CitizenCreate,
    session: SessionDep,
    identity: IdentityDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> JSONResponse:
    """Anyone may register; the account starts at assurance level 1 until verified."""
    body = citizen_in.model_dump()
    replayed = await idempotency.replay(session, idempotency_key, scope="citizens", body=body)
    if replayed is not None:
        return JSONResponse(replayed, status_code=201)
    account = await service.register_citizen(session=session, pii=identity.pii, citizen_in=citizen_in)
    payload = service.to_read(account).model_dump(mode="json")
    await idempotency.remember(session, idempotency_key, scope="citizens", body=body, response=payload)
    return JSONResponse(payload, status_code=201)


@router.get("/me", response_model=AccountRead, summary="My account")
async def read_me(account: CurrentAccount) -> AccountRead:
    return service.to_read(account)


@router.patch("/me", response_model=AccountRead, summary="Edit my profile")
async def update_me(
    profile_in: ProfileUpdate, account: CurrentAccount, session: SessionDep, identity: IdentityDep
) -> AccountRead:
    await service.update_profile(session=session, pii=identity.pii, account=account, profile_in=profile_in)
    return service.to_read(account)


@router.post("/me/password", status_code=204, summary="Change my password (signs out my other sessions)")
async def change_password(
    change_in: PasswordChange, account: CurrentAccount, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.change_password(
        session=session,
        account=account,
        current=change_in.current_password,
        new=change_in.new_password,
        keep_session=None,
    )
    return Response(status_code=204)


@router.post("/me/verification", response_model=AccountRead, summary="Verify me against the population base data")
async def verify_me(account: CurrentAccount, session: SessionDep, identity: IdentityDep) -> AccountRead:
    await service.verify_with_base_data(
        session=session, pii=identity.pii, population=identity.population, account=account
    )
    return service.to_read(account)


@router.get("/me/sessions", response_model=SessionPage, summary="My signed-in sessions")
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


@router.delete("/me/sessions/{session_id}", status_code=204, summary="Sign out one of my sessions")
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
    staff: Annotated[Principal, Depends(require(roles=("acceptor",), kinds=("staff",)))],
) -> AccountRead:
    """Hall staff (acceptor role) confirm a citizen's identity face to face."""
    account = await session.get(Account, account_id)
    if account is None or account.kind != "citizen":
        raise AccountNotFound()
    await service.verify_in_person(session=session, account=account, staff_id=staff.subject)
    return service.to_read(account)


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
    system: Annotated[Principal, Depends(require(kinds=("system",), scopes=("identity.holder.read",)))],
) -> HolderRead:
    """Only systems granted ``identity.holder.read`` (svc-certificates) read it; each read is audited
    (who, whose account; never the number itself)."""
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
