"""One-thing bundles API: public reads of published bundles; editors of a covering region draft and
submit, the publisher of the bundle's region publishes and withdraws."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.access import ITEMS_WRITE
from catalog.bundles import service
from catalog.bundles.schemas import BundleCreate, BundleRead, StoredBundleRead
from catalog.caching import (
    CONDITIONAL_GET,
    NOT_MODIFIED,
    answer,
    reads,
    send,
    version_response,
)
from catalog.deps import Version, region_param
from catalog.errors import BundleNotFound
from catalog.models import IdempotencyRecord
from gov_common import idempotency
from gov_common.auth import MaybePrincipalDep, Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/bundles", tags=["bundles"])
# Every staff write needs catalog.items.write; the public reads stay public (drafts need it too).
Writer = Annotated[Principal, scoped(ITEMS_WRITE)]


@router.get("", response_model=Page[BundleRead], summary="Published bundles (public)")
async def list_bundles(
    session: SessionDep,
    region: Annotated[str | None, Query()] = None,
    life_event: str | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    rows, nxt = await service.list_bundles(
        session=session, region=region_param(region), life_event=life_event, limit=limit, cursor=cursor
    )
    return send(Page[StoredBundleRead](items=[service.to_read(r) for r in rows], next_cursor=nxt))


@router.post(
    "",
    response_model=BundleRead,
    status_code=status.HTTP_201_CREATED,
    summary="Draft a bundle (editor)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_bundle(
    bundle_in: BundleCreate, session: SessionDep, principal: Writer, request: Request, key: idempotency.OptionalKey
) -> JSONResponse:
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="bundles.create",
        key=key,
        body=bundle_in.model_dump(mode="json"),
    )
    if claim.replay:
        first = claim.record.body
        return created(request, claim.response(), f"/v1/bundles/{first['code']}/versions/{first['version']}")
    row = await service.create_bundle(session=session, principal=principal, bundle_in=bundle_in)
    body = service.to_read(row).model_dump(mode="json")
    answer = idempotency.remember(claim, status_code=201, body=body)
    return created(request, answer, f"/v1/bundles/{row.code}/versions/{row.version}")


@router.get(
    "/{code}",
    response_model=BundleRead,
    responses=NOT_MODIFIED,
    openapi_extra=CONDITIONAL_GET,
    summary="The current published version (public)",
)
async def get_bundle(code: str, request: Request) -> Response:
    cache = reads(request)
    found = await cache.current_answer(
        "bundle", code, lambda s: service.public_answer_of(session=s, code=code, version=None)
    )
    if found is None:
        raise BundleNotFound(f"no bundle {code}")
    return answer(request.headers.get("if-none-match"), found.body, found.etag, cache.current_cache_control)


@router.get(
    "/{code}/versions/{version}",
    response_model=BundleRead,
    responses=NOT_MODIFIED,
    openapi_extra=CONDITIONAL_GET,
    summary="One version",
)
async def get_version(code: str, version: Version, request: Request, principal: MaybePrincipalDep) -> Response:
    async def unpublished(s: AsyncSession) -> tuple[StoredBundleRead, int]:
        row = await service.get_bundle(session=s, code=code, version=version, principal=principal)
        return service.to_read(row), row.version

    return await version_response(
        request,
        "bundle",
        code,
        version,
        public=lambda s: service.public_answer_of(session=s, code=code, version=version),
        unpublished=unpublished,
    )


@router.post("/{code}/versions/{version}/submit", response_model=BundleRead, summary="Submit (editor)")
async def submit(code: str, version: Version, session: SessionDep, principal: Writer) -> Response:
    return send(service.to_read(await service.submit(session=session, principal=principal, code=code, version=version)))


@router.post(
    "/{code}/versions/{version}/publish",
    response_model=BundleRead,
    summary="Publish (publisher of the bundle's region); emits catalog.bundle.published",
)
async def publish(code: str, version: Version, session: SessionDep, principal: Writer, request: Request) -> Response:
    row = await service.publish(session=session, principal=principal, code=code, version=version)
    reads(request).forget_after_commit(session, "bundle", code)
    return send(service.to_read(row))


@router.post(
    "/{code}/withdraw", response_model=BundleRead, summary="Withdraw (publisher); emits catalog.bundle.withdrawn"
)
async def withdraw(code: str, session: SessionDep, principal: Writer, request: Request) -> Response:
    row = await service.withdraw(session=session, principal=principal, code=code)
    reads(request).forget_after_commit(session, "bundle", code)
    return send(service.to_read(row))
