"""Registry of external systems (platform admins, ``exchange.registry.admin``) and discovery for integrators
(registered systems, ``exchange.discovery.read``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from exchange import audit
from exchange.access import RETIRED_SCOPES, SCOPE_DISCOVERY, SCOPES, PlatformAdminDep, registered_system
from exchange.errors import InvalidIdentifier, SystemExists, SystemNotFound, SystemNotRegistered
from exchange.identifiers import REGION, SYSTEM_IDENTIFIER
from exchange.models import ExternalSystem
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import Cursor, Limit, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1", tags=["systems"])

SystemKind = Literal["city_platform", "department", "national"]


class SystemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(description="instance/level/member/system, e.g. GX/city/<credit code>/gov-portal")
    name: str = Field(min_length=1, max_length=200)
    kind: SystemKind
    region: str = Field(description="GB/T 2260 region the system acts for (6 or 12 digits)")
    department: str | None = Field(default=None, description="credit code of the department it belongs to")
    client_id: str = Field(min_length=1, max_length=200, description="its OAuth client id at svc-identity")
    scopes: list[str] = Field(default_factory=list)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError("region must be a Guangxi GB/T 2260 code (45xxxx)")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        retired = sorted(set(value) & set(RETIRED_SCOPES))
        if retired:
            raise ValueError(f"retired scope names {retired}: use {[RETIRED_SCOPES[r] for r in retired]}")
        unknown = sorted(set(value) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
        return sorted(set(value))


class SystemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = None
    scopes: list[str] | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else SystemCreate._scopes(value)


class SystemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    identifier: str
    name: str
    kind: str
    region: str
    department: str | None
    client_id: str
    scopes: list[str]
    active: bool
    created_at: datetime


class SystemPage(BaseModel):
    items: list[SystemRead]
    next_cursor: str | None


def parse_identifier(identifier: str) -> dict[str, str]:
    match = SYSTEM_IDENTIFIER.match(identifier)
    if not match:
        raise InvalidIdentifier(
            "expected <instance>/<level>/<member credit code>/<system>, e.g. GX/city/11450100MB1234567X/portal"
        )
    return match.groupdict()


@router.post("/systems", status_code=201, response_model=SystemRead, summary="Register an external system")
async def register_system(body: SystemCreate, session: SessionDep, admin: PlatformAdminDep) -> ExternalSystem:
    """Platform admins only. Registering the same identifier with the same content again returns the
    existing registration (safe to retry); different content is a 409."""
    parse_identifier(body.identifier)
    existing = await session.scalar(
        sa.select(ExternalSystem).where(
            sa.or_(ExternalSystem.identifier == body.identifier, ExternalSystem.client_id == body.client_id)
        )
    )
    if existing is not None:
        same = SystemRead.model_validate(existing).model_dump(include=set(SystemCreate.model_fields))
        if same == body.model_dump():
            return existing
        raise SystemExists()
    system = ExternalSystem(**body.model_dump(), created_by=admin.subject)
    session.add(system)
    await session.flush()
    return system


@router.get("/systems", response_model=SystemPage, summary="List registered systems")
async def list_systems(session: SessionDep, _: PlatformAdminDep, limit: Limit = 50, cursor: Cursor = None) -> Any:
    after = decode_cursor(cursor, i=str)
    query = sa.select(ExternalSystem).order_by(ExternalSystem.identifier).limit(limit + 1)
    if after:
        query = query.where(ExternalSystem.identifier > after["i"])
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor({"i": rows[-1].identifier}) if more else None}


@router.patch("/systems/{system_id}", response_model=SystemRead, summary="Suspend, resume or re-scope a system")
async def update_system(system_id: uuid.UUID, body: SystemUpdate, session: SessionDep, _: PlatformAdminDep) -> Any:
    system = await session.get(ExternalSystem, system_id)
    if system is None:
        raise SystemNotFound()
    if body.active is not None:
        system.active = body.active
    if body.scopes is not None:
        system.scopes = body.scopes
    await session.flush()
    return system


class DiscoveryOperation(BaseModel):
    method: str
    path: str
    summary: str | None
    scope: str
    openapi: dict[str, Any]


class Discovery(BaseModel):
    system: str
    scopes: list[str]
    operations: list[DiscoveryOperation]


def operation_scope(op: dict[str, Any]) -> str | None:
    """The one scope an OpenAPI operation names in its ``security`` (:func:`gov_common.auth.scoped`)."""
    named = [s for requirement in op.get("security", []) for s in requirement.get("oauth2", [])]
    return named[0] if len(named) == 1 else None


@router.get("/discovery", response_model=Discovery, summary="What this system may call, with its OpenAPI")
async def discovery(
    request: Request, principal: Annotated[Principal, scoped(SCOPE_DISCOVERY)], session: SessionDep
) -> Any:
    """For a registered, active system: the operations its scopes open (granted in the registry and held
    by its token), each with its OpenAPI operation object (the full document is at ``/openapi.json``)."""
    if principal.kind != "system":  # no record is read here: a region-bound system may ask too
        raise Forbidden("discovery is for external systems")
    system = await registered_system(session, principal)
    if system is None:
        raise SystemNotRegistered()
    granted = sorted(set(system.scopes) & principal.scopes)
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            scope = operation_scope(op)
            if scope in granted:
                operations.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": op.get("summary"),
                        "scope": scope,
                        "openapi": op,
                    }
                )
    answer = {"system": system.identifier, "scopes": granted, "operations": operations}
    await audit.append(session, request, actor=system.identifier, request_body={}, response_body=answer)
    return answer
