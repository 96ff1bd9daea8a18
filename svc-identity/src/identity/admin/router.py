"""Platform administration: OAuth clients for external systems and relying parties, signing-key rotation."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal, require, scoped
from gov_common.deps import SessionDep
from gov_common.http import AwareDateTime, created
from gov_common.pagination import Page
from gov_standards.regions import region_covers
from identity import audit
from identity.deps import IdentityDep
from identity.errors import ClientNotFound, DepartmentNotFound, InvalidClientMetadata, RegionNotFound
from identity.models import Department, OAuthClient, Region
from identity.oidc.clientauth import secret_hash
from identity.policy import redirect_uri_problem, registration_problems

router = APIRouter(prefix="/v1", tags=["administration"])

PlatformAdmin = Annotated[Principal, Depends(require(roles=("platform_admin",), kinds=("staff",)))]
ADMIN_SCOPE = scoped("identity.staff.admin")
GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    auth_method: Literal["client_secret_basic", "private_key_jwt", "none"]
    grant_types: list[GrantType] = Field(min_length=1)
    scopes: list[str] = Field(default_factory=list, max_length=50)
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    account_kinds: list[Literal["citizen", "staff"]] | None = Field(
        default=None,
        description=(
            "the kinds of people it serves (only they get its platform scopes; a client not serving citizens "
            "admits only its kinds); default: citizen for a client signing people in, none for a system"
        ),
    )
    first_party: bool = Field(default=False, description="the platform's own: consent is recorded, not asked")
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    department_code: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Z]{18}$",
        description=(
            "a department's own system (client credentials only): its tokens carry `department`; its region "
            "is required and lies in the department's"
        ),
    )
    jwks: dict[str, Any] | None = None

    def kinds(self) -> list[str]:
        if self.account_kinds is not None:
            return sorted(set(self.account_kinds))
        return ["citizen"] if "authorization_code" in self.grant_types else []


class ClientRead(BaseModel):
    client_id: str
    name: str
    auth_method: str
    grant_types: list[str]
    scopes: list[str]
    account_kinds: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    first_party: bool
    region: str | None
    department_code: str | None
    created_at: AwareDateTime


class ClientCreated(ClientRead):
    client_secret: str | None = Field(default=None, description="shown once; only its digest is kept")


class ScopesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scopes: list[str] = Field(max_length=50)


class KeyRotated(BaseModel):
    kid: str


def client_read(c: OAuthClient) -> ClientRead:
    return ClientRead(
        client_id=c.client_id,
        name=c.name,
        auth_method=c.auth_method,
        grant_types=c.grant_types,
        scopes=c.scopes,
        account_kinds=c.account_kinds,
        redirect_uris=c.redirect_uris,
        post_logout_redirect_uris=c.post_logout_redirect_uris,
        first_party=c.first_party,
        region=c.region_code,
        department_code=c.department_code,
        created_at=c.created_at,
    )


def _check(client_in: ClientCreate) -> None:
    problems: list[str] = []
    if "authorization_code" in client_in.grant_types and not client_in.redirect_uris:
        problems.append("the authorization code grant needs redirect_uris")
    for uri in client_in.redirect_uris + client_in.post_logout_redirect_uris:
        problem = redirect_uri_problem(uri)
        if problem:
            problems.append(problem)
    if client_in.auth_method == "none" and "client_credentials" in client_in.grant_types:
        problems.append("a public client cannot use client credentials")
    if client_in.department_code is not None:
        # a department's system acts as that department: no person signs in through it
        if set(client_in.grant_types) != {"client_credentials"}:
            problems.append("only a client-credentials client may be a department's system")
        if client_in.region is None:
            problems.append("a department's system needs the region it serves")
    if client_in.auth_method == "private_key_jwt":
        try:
            if not client_in.jwks or not KeySet.import_key_set(client_in.jwks).keys:  # type: ignore[arg-type]
                problems.append("private_key_jwt needs a jwks with public keys")
            elif any(k.is_private for k in KeySet.import_key_set(client_in.jwks).keys):  # type: ignore[arg-type]
                problems.append("the jwks must hold public keys only")
        except (JoseError, ValueError, TypeError, KeyError):
            problems.append("the jwks is not a valid JWK set")
    problems += registration_problems(
        scopes=client_in.scopes, grant_types=client_in.grant_types, account_kinds=client_in.kinds()
    )
    if problems:
        raise InvalidClientMetadata("; ".join(problems), problems=problems)


async def _check_department(session: AsyncSession, code: str, *, region: str | None) -> None:
    """The department exists and the client's region is the department's or inside it."""
    department = await session.scalar(sa.select(Department).where(Department.code == code))
    if department is None:
        raise DepartmentNotFound(department_code=code)
    if region is None or not region_covers(department.region_code, region):
        problem = f"the region {region} is outside the department's ({department.region_code})"
        raise InvalidClientMetadata(problem, problems=[problem])


@router.post(
    "/clients",
    status_code=201,
    response_model=ClientCreated,
    summary="Register an OAuth client (platform admin)",
    dependencies=[ADMIN_SCOPE],
)
async def create_client(
    client_in: ClientCreate, request: Request, response: Response, session: SessionDep, principal: PlatformAdmin
) -> ClientCreated:
    _check(client_in)
    if client_in.region and await session.get(Region, client_in.region) is None:
        raise RegionNotFound()
    if client_in.department_code is not None:
        await _check_department(session, client_in.department_code, region=client_in.region)
    secret = secrets.token_urlsafe(32) if client_in.auth_method == "client_secret_basic" else None
    client = OAuthClient(
        client_id="c-" + secrets.token_hex(8),
        name=client_in.name,
        auth_method=client_in.auth_method,
        secret_hash=secret_hash(secret) if secret else None,
        jwks=client_in.jwks if client_in.auth_method == "private_key_jwt" else None,
        redirect_uris=client_in.redirect_uris,
        post_logout_redirect_uris=client_in.post_logout_redirect_uris,
        grant_types=sorted(set(client_in.grant_types)),
        scopes=sorted(set(client_in.scopes)),
        account_kinds=client_in.kinds(),
        first_party=client_in.first_party,
        region_code=client_in.region,
        department_code=client_in.department_code,
    )
    session.add(client)
    await session.flush()
    await audit.record(
        session,
        "client.created",
        actor=principal.subject,
        target=client.client_id,
        scopes=client.scopes,
        grant_types=client.grant_types,
        region=client.region_code,
        department=client.department_code,
    )
    created(request, response, f"/v1/clients/{client.client_id}")
    return ClientCreated(**client_read(client).model_dump(), client_secret=secret)


@router.get(
    "/clients",
    response_model=Page[ClientRead],
    summary="Registered OAuth clients, oldest first (platform admin; one page: all)",
    dependencies=[ADMIN_SCOPE],
)
async def list_clients(session: SessionDep, _: PlatformAdmin) -> Page[ClientRead]:
    rows = (await session.scalars(sa.select(OAuthClient).order_by(OAuthClient.created_at))).all()
    return Page(items=[client_read(c) for c in rows])


@router.put(
    "/clients/{client_id}/scopes",
    response_model=ClientRead,
    summary="Change a client's scopes (platform admin)",
    dependencies=[ADMIN_SCOPE],
)
async def set_client_scopes(
    client_id: str, scopes_in: ScopesUpdate, session: SessionDep, principal: PlatformAdmin
) -> ClientRead:
    """Takes effect for tokens issued from now on; tokens already issued keep their scope until they expire."""
    client = await session.get(OAuthClient, client_id)
    if client is None:
        raise ClientNotFound()
    problems = registration_problems(
        scopes=scopes_in.scopes, grant_types=client.grant_types, account_kinds=client.account_kinds
    )
    if problems:
        raise InvalidClientMetadata("; ".join(problems), problems=problems)
    before, client.scopes = client.scopes, sorted(set(scopes_in.scopes))
    await audit.record(
        session, "client.scopes_changed", actor=principal.subject, target=client_id, before=before, after=client.scopes
    )
    return client_read(client)


@router.post(
    "/signing-keys/rotation",
    status_code=201,
    response_model=KeyRotated,
    summary="Rotate the token-signing key (platform admin)",
    dependencies=[ADMIN_SCOPE],
)
async def rotate_key(
    request: Request, response: Response, session: SessionDep, identity: IdentityDep, principal: PlatformAdmin
) -> KeyRotated:
    """The new key signs from now on; the old one stays in the JWKS for the overlap period."""
    kid = await identity.keys.rotate(session)
    created(request, response, "/.well-known/jwks.json")  # the new key is published there
    await audit.record(session, "signing_key.rotated", actor=principal.subject, target=kid)
    return KeyRotated(kid=kid)
