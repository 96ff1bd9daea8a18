"""Items API. Reading the published catalog is public; drafts are visible to catalog staff of the
region; writes need a staff token: ``catalog_editor`` of a region covering the item drafts and submits,
``catalog_publisher`` of the item's own region publishes, returns and withdraws."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.access import ITEMS_WRITE
from catalog.caching import (
    CONDITIONAL_GET,
    NOT_MODIFIED,
    answer,
    reads,
    send,
    version_response,
)
from catalog.deps import Version, region_param
from catalog.errors import FormDataInvalid, ItemNotFound
from catalog.items import service
from catalog.items.schemas import (
    FormValidationRead,
    ItemCreate,
    ItemRead,
    ItemSummary,
    ItemUpdate,
    ServiceObject,
    StoredItemRead,
)
from catalog.models import IdempotencyRecord, ItemVersion
from catalog.search.service import Filters, search_items
from gov_common import idempotency
from gov_common.auth import MaybePrincipalDep, Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, Page

router = APIRouter(prefix="/v1/items", tags=["items"])
# Every staff write (and the work queue) needs catalog.items.write; the public reads stay public.
Writer = Annotated[Principal, scoped(ITEMS_WRITE)]
Code = Annotated[str, "implementation code"]


def _summary(row: Any, score: int | None) -> ItemSummary:
    return ItemSummary(
        implementation_code=row.implementation_code,
        version=row.version,
        name=row.name,
        item_type=row.item_type,
        region=row.region,
        # The definition's department, as its columns hold it (the definition itself is not loaded).
        department={"code": row.department_code, "name": row.department_name},
        service_object=row.service_object,
        fully_online=row.fully_online,
        online_level=row.online_level,
        promised_days=row.promised_days,
        score=score,
    )


@router.get("", response_model=Page[ItemSummary], summary="Search and browse published items (public)")
async def list_items(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=50, description="Chinese full-text query")] = None,
    region: Annotated[str | None, Query(description="GB/T 2260 code; items implemented in its whole subtree")] = None,
    available_in: Annotated[
        str | None, Query(description="GB/T 2260 code; items someone living there can apply for (it and above)")
    ] = None,
    department: Annotated[str | None, Query(description="implementing department's credit code")] = None,
    item_type: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    service_object: Annotated[ServiceObject | None, Query()] = None,
    fully_online: bool | None = None,
    life_event: str | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    filters = Filters(
        region=region_param(region),
        available_in=region_param(available_in, "available_in"),
        department=department,
        item_type=item_type,
        service_object=service_object,
        fully_online=fully_online,
        life_event=life_event,
    )
    rows, nxt = await search_items(session=session, q=q, filters=filters, limit=limit, cursor=cursor)
    return send(Page[ItemSummary](items=[_summary(r, s) for r, s in rows], next_cursor=nxt))


@router.post(
    "",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
    summary="Draft a new item (editor)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_item(
    item_in: ItemCreate, session: SessionDep, principal: Writer, request: Request, key: idempotency.OptionalKey
) -> JSONResponse:
    claim = await _claim(session, principal, "items.create", key, item_in.model_dump(mode="json"))
    if claim.replay:
        return created(request, claim.response(), _version_path(claim.record.body))
    row = await service.create_item(session=session, principal=principal, item_in=item_in)
    return _created(request, claim, row)


async def _claim(
    session: SessionDep, principal: Principal, scope: str, key: str | None, body: dict[str, Any]
) -> idempotency.Claim[IdempotencyRecord]:
    return await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope=scope, key=key, body=body
    )


def _version_path(read: dict[str, Any]) -> str:
    return f"/v1/items/{read['implementation_code']}/versions/{read['version']}"


def _created(request: Request, claim: idempotency.Claim[IdempotencyRecord], row: ItemVersion) -> JSONResponse:
    body = service.to_read(row).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), _version_path(body))


@router.get(
    "/-/queue",
    response_model=Page[ItemRead],
    summary="Drafts or submitted versions to work on (catalog staff of the region, oldest first)",
)
async def work_queue(
    session: SessionDep,
    principal: Writer,
    status: Literal["draft", "submitted"] = "submitted",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Response:
    rows, nxt = await service.work_queue(
        session=session, principal=principal, status=status, limit=limit, cursor=cursor
    )
    return send(Page[StoredItemRead](items=[service.to_read(r) for r in rows], next_cursor=nxt))


@router.get(
    "/{code}",
    response_model=ItemRead,
    responses=NOT_MODIFIED,
    openapi_extra=CONDITIONAL_GET,
    summary="The current published version (public)",
)
async def get_item(code: Code, request: Request) -> Response:
    cache = reads(request)
    found = await cache.current_answer("item", code, lambda s: service.current_answer(session=s, code=code))
    if found is None:
        raise ItemNotFound(f"no published item {code}")
    return answer(request.headers.get("if-none-match"), found.body, found.etag, cache.current_cache_control)


@router.get(
    "/{code}/versions", response_model=Page[ItemRead], summary="All versions you may see (one page: every version)"
)
async def list_versions(code: Code, session: SessionDep, principal: MaybePrincipalDep) -> Response:
    rows = await service.list_versions(session=session, code=code, principal=principal)
    return send(Page[StoredItemRead](items=[service.to_read(r) for r in rows]))


@router.post(
    "/{code}/versions",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
    summary="Draft the next version (editor): the way to change a published item",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_version(
    code: Code,
    item_in: ItemUpdate,
    session: SessionDep,
    principal: Writer,
    request: Request,
    key: idempotency.OptionalKey,
) -> JSONResponse:
    claim = await _claim(session, principal, f"items/{code}/versions.create", key, item_in.model_dump(mode="json"))
    if claim.replay:
        return created(request, claim.response(), _version_path(claim.record.body))
    row = await service.create_version(session=session, principal=principal, code=code, definition=item_in.definition)
    return _created(request, claim, row)


@router.get(
    "/{code}/versions/{version}",
    response_model=ItemRead,
    responses=NOT_MODIFIED,
    openapi_extra=CONDITIONAL_GET,
    summary="One version",
)
async def get_version(code: Code, version: Version, request: Request, principal: MaybePrincipalDep) -> Response:
    async def unpublished(s: AsyncSession) -> tuple[StoredItemRead, int]:
        row = await service.get_version(session=s, code=code, version=version, principal=principal)
        return service.to_read(row), row.version

    return await version_response(
        request,
        "item",
        code,
        version,
        public=lambda s: service.public_version_answer(session=s, code=code, version=version),
        unpublished=unpublished,
    )


@router.put("/{code}/versions/{version}", response_model=ItemRead, summary="Change a draft (editor)")
async def update_draft(
    code: Code, version: Version, item_in: ItemUpdate, session: SessionDep, principal: Writer
) -> Response:
    row = await service.update_draft(
        session=session, principal=principal, code=code, version=version, definition=item_in.definition
    )
    return send(service.to_read(row))


@router.post("/{code}/versions/{version}/submit", response_model=ItemRead, summary="Submit a draft (editor)")
async def submit(code: Code, version: Version, session: SessionDep, principal: Writer) -> Response:
    return send(service.to_read(await service.submit(session=session, principal=principal, code=code, version=version)))


@router.post(
    "/{code}/versions/{version}/return", response_model=ItemRead, summary="Send a submitted version back (publisher)"
)
async def return_to_draft(code: Code, version: Version, session: SessionDep, principal: Writer) -> Response:
    row = await service.return_to_draft(session=session, principal=principal, code=code, version=version)
    return send(service.to_read(row))


@router.post(
    "/{code}/versions/{version}/publish",
    response_model=ItemRead,
    summary="Publish a submitted version (publisher of the item's region); emits catalog.item.published",
)
async def publish(code: Code, version: Version, session: SessionDep, principal: Writer, request: Request) -> Response:
    row = await service.publish(session=session, principal=principal, code=code, version=version)
    reads(request).forget_after_commit(session, "item", code)
    return send(service.to_read(row))


@router.post(
    "/{code}/withdraw",
    response_model=ItemRead,
    summary="Withdraw the current version (publisher of the item's region); emits catalog.item.withdrawn",
)
async def withdraw(code: Code, session: SessionDep, principal: Writer, request: Request) -> Response:
    row = await service.withdraw(session=session, principal=principal, code=code)
    reads(request).forget_after_commit(session, "item", code)
    return send(service.to_read(row))


@router.post(
    "/{code}/form-validation",
    response_model=FormValidationRead,
    summary="Check form data against the current form schema (public)",
)
async def validate_form(
    code: Code, session: SessionDep, data: Annotated[dict[str, Any], Body(embed=True)]
) -> FormValidationRead:
    row = await service.get_current(session=session, code=code)
    errors = service.validate_form_data(row.definition["form_schema"], data)
    if errors:
        raise FormDataInvalid(f"{len(errors)} field(s) do not match the form", errors=errors)
    return FormValidationRead(valid=True, version=row.version)
