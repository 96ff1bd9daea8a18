"""Registry of external systems (platform admins, ``exchange.registry.admin``) and discovery for integrators
(registered systems, ``exchange.discovery.read``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from exchange.access import SCOPE_DISCOVERY, PlatformAdminDep
from exchange.audit import service as audit
from exchange.errors import SystemExists, SystemNotFound, SystemNotRegistered
from exchange.models import ExternalSystem
from exchange.systems.schemas import Discovery, SystemCreate, SystemPage, SystemRead, SystemUpdate
from exchange.systems.service import operation_scope, parse_identifier, registered_system
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1", tags=["systems"])


@router.post("/systems", status_code=201, response_model=SystemRead, summary="Register an external system")
async def register_system(
    body: SystemCreate, request: Request, response: Response, session: SessionDep, admin: PlatformAdminDep
) -> ExternalSystem:
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
            created(request, response, f"/v1/systems/{existing.id}")
            return existing
        raise SystemExists()
    system = ExternalSystem(**body.model_dump(), created_by=admin.subject)
    session.add(system)
    await session.flush()
    created(request, response, f"/v1/systems/{system.id}")
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
