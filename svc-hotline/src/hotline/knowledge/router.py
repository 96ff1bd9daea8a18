"""The knowledge base: search and read current entries (public: citizens look answers up too), write and
review entries (staff), suggestions for a work order's text (operators and the department holding it)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Page
from gov_standards.china_time import china_date
from hotline import access
from hotline.deps import ContextDep
from hotline.errors import EntryNotFound, OrderNotFound, OutOfScope
from hotline.knowledge import service
from hotline.knowledge.schemas import (
    EntryCreate,
    EntryRead,
    Hit,
    ReplacedVersion,
    ReviewIn,
    RevisionCreate,
    RevisionRead,
    SearchResult,
)
from hotline.models import IdempotencyRecord, KnowledgeEntry, KnowledgeRevision
from hotline.orders.service import get_order

router = APIRouter(prefix="/v1", tags=["knowledge"])
Editor = Annotated[Principal, scoped(access.KNOWLEDGE_WRITE)]
SUGGESTIONS = 5


def entry_read(entry: KnowledgeEntry) -> EntryRead:
    return EntryRead(
        id=entry.id,
        title=entry.title,
        body=entry.body,
        category=entry.category,
        keywords=entry.keywords,
        region=entry.region,
        owner_department=entry.owner_department,
        status=entry.status,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        reviewed_at=entry.reviewed_at,
        usage_count=entry.usage_count,
        version=entry.version,
        updated_at=entry.updated_at,
    )


def revision_read(revision: KnowledgeRevision) -> RevisionRead:
    return RevisionRead(
        id=revision.id,
        entry_id=revision.entry_id,
        status=revision.status,
        base_version=revision.base_version,
        version=revision.version,
        reason=revision.reason,
        title=revision.title,
        body=revision.body,
        category=revision.category,
        keywords=revision.keywords,
        owner_department=revision.owner_department,
        valid_from=revision.valid_from,
        valid_until=revision.valid_until,
        replaced=ReplacedVersion.model_validate(revision.replaced) if revision.replaced else None,
        created_by=revision.created_by,
        created_at=revision.created_at,
        reviewed_by=revision.reviewed_by,
        reviewed_at=revision.reviewed_at,
        review_note=revision.review_note,
    )


async def _editable_entry(
    session: SessionDep, entry_id: uuid.UUID, principal: Principal, today: date, *, lock: bool = False
) -> KnowledgeEntry:
    """The entry for its editors; 404 to whoever may not see it, 403 to a reader of a current one."""
    entry = await service.get_entry(session, entry_id, lock=lock)
    if not service.may_see(principal, entry, today):
        raise EntryNotFound()
    if not service.is_editor(principal, entry):
        raise OutOfScope("staff of the owning department or the 12345 centre of the region only")
    return entry


@router.get("/knowledge", response_model=SearchResult, summary="Search the current knowledge base (public)")
async def search(
    session: SessionDep,
    context: ContextDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words or a question, in Chinese")],
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    category: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResult:
    words, hits = await service.search(
        session, query=q, today=china_date(context.now()), region=region, category=category, limit=limit
    )
    return SearchResult(query_words=words, hits=[Hit(entry=entry_read(e), score=s, matched=m) for e, s, m in hits])


@router.get("/knowledge/{entry_id}", response_model=EntryRead, summary="One current entry (public)")
async def get_entry(entry_id: uuid.UUID, session: SessionDep, context: ContextDep) -> EntryRead:
    entry = await service.get_entry(session, entry_id)
    if not service.is_current(entry, china_date(context.now())):
        raise EntryNotFound()
    return entry_read(entry)


@router.get(
    "/knowledge-drafts",
    response_model=Page[EntryRead],
    summary="Entries waiting for review, for their editors (one page)",
)
async def drafts(session: SessionDep, principal: Editor, context: ContextDep) -> Page[EntryRead]:
    today = china_date(context.now())
    rows = await session.scalars(
        sa.select(KnowledgeEntry)
        .where(KnowledgeEntry.status.in_(("draft", "returned")))
        .order_by(KnowledgeEntry.updated_at)
    )
    return Page(items=[entry_read(e) for e in rows if service.may_see(principal, e, today)])


@router.post(
    "/knowledge",
    status_code=201,
    response_model=EntryRead,
    summary="Write an entry (a draft until reviewed)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_entry(
    entry_in: EntryCreate,
    session: SessionDep,
    principal: Editor,
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope="knowledge.create", key=idempotency_key,
        body=entry_in.model_dump(mode="json"),
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/knowledge/{claim.record.body['id']}")
    entry = await service.create_entry(session, principal=principal, entry_in=entry_in, now=context.now())
    body = entry_read(entry).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/knowledge/{entry.id}")


@router.post("/knowledge/{entry_id}/review", response_model=EntryRead, summary="Publish a draft or send it back")
async def review(
    entry_id: uuid.UUID, review_in: ReviewIn, session: SessionDep, principal: Editor, context: ContextDep
) -> EntryRead:
    entry = await service.get_entry(session, entry_id, lock=True)
    if not service.may_see(principal, entry, china_date(context.now())):
        raise EntryNotFound()
    return entry_read(await service.review(session, entry, principal=principal, review_in=review_in, now=context.now()))


@router.post(
    "/knowledge/{entry_id}/revisions",
    status_code=201,
    response_model=RevisionRead,
    summary="Propose a new version of a published entry (applied when reviewed)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def propose_revision(
    entry_id: uuid.UUID,
    revision_in: RevisionCreate,
    session: SessionDep,
    principal: Editor,
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    entry = await _editable_entry(session, entry_id, principal, china_date(context.now()), lock=True)
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope=f"knowledge.revise:{entry_id}",
        key=idempotency_key, body=revision_in.model_dump(mode="json"),
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/knowledge/{entry_id}/revisions")
    revision = await service.propose_revision(
        session, entry, principal=principal, revision_in=revision_in, now=context.now()
    )
    body = revision_read(revision).model_dump(mode="json")
    location = f"/v1/knowledge/{entry_id}/revisions"
    return created(request, idempotency.remember(claim, status_code=201, body=body), location)


@router.get(
    "/knowledge/{entry_id}/revisions",
    response_model=Page[RevisionRead],
    summary="An entry's revisions, oldest first: pending, returned and applied ones (its history), for its editors",
)
async def list_revisions(
    entry_id: uuid.UUID, session: SessionDep, principal: Editor, context: ContextDep
) -> Page[RevisionRead]:
    await _editable_entry(session, entry_id, principal, china_date(context.now()))
    return Page(items=[revision_read(r) for r in await service.revisions(session, entry_id)])


@router.post(
    "/knowledge/{entry_id}/revisions/{revision_id}/review",
    response_model=RevisionRead,
    summary="Apply a pending revision (it replaces the entry's content) or send it back",
)
async def review_revision(
    entry_id: uuid.UUID,
    revision_id: uuid.UUID,
    review_in: ReviewIn,
    session: SessionDep,
    principal: Editor,
    context: ContextDep,
) -> RevisionRead:
    entry = await _editable_entry(session, entry_id, principal, china_date(context.now()), lock=True)
    revision = await service.get_revision(session, entry_id, revision_id, lock=True)
    reviewed = await service.review_revision(
        session, entry, revision, principal=principal, review_in=review_in, now=context.now()
    )
    return revision_read(reviewed)


@router.post("/knowledge/{entry_id}/retire", response_model=EntryRead, summary="Withdraw an entry")
async def retire(entry_id: uuid.UUID, session: SessionDep, principal: Editor, context: ContextDep) -> EntryRead:
    entry = await service.get_entry(session, entry_id, lock=True)
    if not service.may_see(principal, entry, china_date(context.now())):
        raise EntryNotFound()
    return entry_read(await service.retire(session, entry, principal=principal, now=context.now()))


@router.get(
    "/orders/{order_id}/suggestions",
    response_model=SearchResult,
    summary="Knowledge entries for a work order's text (operators, the department holding it)",
)
async def suggestions(
    order_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.ORDERS_READ)],
    context: ContextDep,
) -> SearchResult:
    order = await get_order(session, order_id)
    if not (
        access.is_operator(principal, order.region)
        or access.is_department_staff(principal, department=order.department, region=order.region)
    ):
        raise OrderNotFound()
    words, hits = await service.search(
        session,
        query=f"{order.title} {order.content}",
        today=china_date(context.now()),
        region=order.region,
        limit=SUGGESTIONS,
    )
    return SearchResult(query_words=words, hits=[Hit(entry=entry_read(e), score=s, matched=m) for e, s, m in hits])
