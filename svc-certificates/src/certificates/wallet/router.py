"""The holder's wallet: my licenses, grants of use (免提交) and the log of every third-party use.

Only citizens (their own account) and people acting for an enterprise (its licenses) call these: reading
needs ``certificates.licenses.read``, granting and revoking others' use ``certificates.licenses.share``.
svc-application calls ``GET /v1/wallet/licenses?type=...`` with the holder's own token to offer licenses
in place of uploaded materials.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from certificates.access import SCOPE_READ, SCOPE_SHARE, holder_key
from certificates.context import Context, get_context
from certificates.errors import GrantNotFound, LicenseNotFound
from certificates.licenses.authorise import is_holder, owned_by, wallet_keys
from certificates.licenses.router import license_read
from certificates.licenses.schemas import LicensePage
from certificates.models import Grant, IdempotencyRecord, License, LicenseUse, SealKey
from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import AwareDateTime, created
from gov_common.pagination import Cursor, Limit, Page, read_time_id_cursor, time_id_cursor
from gov_standards.china_time import utcnow as now

router = APIRouter(prefix="/v1/wallet", tags=["wallet"])
CtxDep = Annotated[Context, Depends(get_context)]
Reader = Annotated[Principal, scoped(SCOPE_READ)]
Sharer = Annotated[Principal, scoped(SCOPE_SHARE)]


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    license_id: uuid.UUID
    grantee_kind: Literal["department", "application"]
    grantee: str = Field(min_length=1, max_length=80, description="department credit code or application client id")
    purpose: str = Field(min_length=2, max_length=300)
    expires_at: datetime

    @field_validator("expires_at")
    @classmethod
    def _future(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("expires_at needs its offset")
        if v <= now():
            raise ValueError("expires_at must be in the future")
        return v


class GrantRead(BaseModel):
    id: str
    license_id: str
    grantee_kind: str
    grantee: str
    purpose: str
    expires_at: AwareDateTime
    created_at: AwareDateTime
    revoked_at: AwareDateTime | None


class UseRead(BaseModel):
    license_id: str
    user_kind: str
    user_subject: str
    user_department: str | None
    user_client: str | None
    basis: str
    grant_id: str | None
    purpose: str
    used_at: AwareDateTime


class UsePage(BaseModel):
    items: list[UseRead]
    next_cursor: str | None


def _grant_read(g: Grant) -> GrantRead:
    return GrantRead(
        id=str(g.id),
        license_id=str(g.license_id),
        grantee_kind=g.grantee_kind,
        grantee=g.grantee,
        purpose=g.purpose,
        expires_at=g.expires_at,
        created_at=g.created_at,
        revoked_at=g.revoked_at,
    )


@router.get("/licenses", response_model=LicensePage, summary="My licenses (holder token)")
async def my_licenses(
    session: SessionDep,
    ctx: CtxDep,
    principal: Reader,
    type: Annotated[
        list[Annotated[str, StringConstraints(max_length=50)]] | None,
        Query(max_length=20, description="license type name or code; repeat it for several types"),
    ] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|suspended|revoked|superseded)$")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> LicensePage:
    query = sa.select(License).where(await owned_by(session, ctx, principal))
    if type:
        query = query.where(sa.or_(License.type_name.in_(type), License.type_code.in_(type)))
    if status_:
        query = query.where(License.status == status_)
    after = read_time_id_cursor(cursor)
    if after:
        query = query.where(sa.tuple_(License.issued_at, License.id) < after)
    rows = list(await session.scalars(query.order_by(License.issued_at.desc(), License.id.desc()).limit(limit + 1)))
    keys = {k.kid: k for k in await session.scalars(sa.select(SealKey).where(SealKey.kid.in_({r.kid for r in rows})))}
    page = rows[:limit]
    nxt = time_id_cursor(page[-1].issued_at, page[-1].id) if len(rows) > limit else None
    return LicensePage(items=[license_read(ctx, r, keys[r.kid]) for r in page], next_cursor=nxt)


@router.post(
    "/grants",
    response_model=GrantRead,
    status_code=status.HTTP_201_CREATED,
    summary="Grant use of a license; Idempotency-Key required",
    openapi_extra=idempotency.KEY_REQUIRED,
)
async def create_grant(
    body: GrantCreate,
    session: SessionDep,
    ctx: CtxDep,
    principal: Sharer,
    request: Request,
    idempotency_key: idempotency.RequiredKey,
) -> JSONResponse:
    owner = holder_key(ctx, principal)
    # The holder's keys (a citizen, or an enterprise whichever agent sends them), as before.
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=f"holder:{owner}",
        scope="grants.create",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/wallet/grants/{claim.record.body['id']}")
    lic = await session.get(License, body.license_id)
    if lic is None or not await is_holder(session, ctx, lic, principal, scope=SCOPE_SHARE):
        raise LicenseNotFound()
    grant = Grant(
        license_id=lic.id,
        holder_key=owner,
        grantee_kind=body.grantee_kind,
        grantee=body.grantee,
        purpose=body.purpose,
        expires_at=body.expires_at,
        created_at=now(),
    )
    session.add(grant)
    await session.flush()
    answer = _grant_read(grant).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=answer), f"/v1/wallet/grants/{grant.id}")


@router.get("/grants", response_model=Page[GrantRead], summary="My grants, newest first")
async def my_grants(
    session: SessionDep, ctx: CtxDep, principal: Reader, limit: Limit = 50, cursor: Cursor = None
) -> Page[GrantRead]:
    query = sa.select(Grant).where(Grant.holder_key == holder_key(ctx, principal))
    after = read_time_id_cursor(cursor)
    if after:
        query = query.where(sa.tuple_(Grant.created_at, Grant.id) < after)
    rows = list(await session.scalars(query.order_by(Grant.created_at.desc(), Grant.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    nxt = time_id_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return Page(items=[_grant_read(g) for g in page], next_cursor=nxt)


@router.delete("/grants/{grant_id}", response_model=GrantRead, summary="Revoke a grant")
async def revoke_grant(grant_id: uuid.UUID, session: SessionDep, ctx: CtxDep, principal: Sharer) -> GrantRead:
    grant = await session.get(Grant, grant_id)
    if grant is None or grant.holder_key != holder_key(ctx, principal):
        raise GrantNotFound()
    if grant.revoked_at is None:
        grant.revoked_at = now()
    return _grant_read(grant)


@router.get("/uses", response_model=UsePage, summary="Who used my licenses, when and why")
async def my_uses(
    session: SessionDep, ctx: CtxDep, principal: Reader, limit: Limit = 50, cursor: Cursor = None
) -> UsePage:
    query = sa.select(LicenseUse).where(LicenseUse.holder_key.in_(await wallet_keys(session, ctx, principal)))
    after = read_time_id_cursor(cursor)
    if after:
        query = query.where(sa.tuple_(LicenseUse.used_at, LicenseUse.id) < after)
    rows = list(await session.scalars(query.order_by(LicenseUse.used_at.desc(), LicenseUse.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    nxt = time_id_cursor(page[-1].used_at, page[-1].id) if len(rows) > limit else None
    items = [
        UseRead(
            license_id=str(u.license_id),
            user_kind=u.user_kind,
            user_subject=u.user_subject,
            user_department=u.user_department,
            user_client=u.user_client,
            basis=u.basis,
            grant_id=str(u.grant_id) if u.grant_id else None,
            purpose=u.purpose,
            used_at=u.used_at,
        )
        for u in page
    ]
    return UsePage(items=items, next_cursor=nxt)
