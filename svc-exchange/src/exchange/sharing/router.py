"""Shared data: a catalog of datasets with their owner departments and fields, sharing requests decided
by the owner, and field-restricted queries by approved consumers (each audited)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from exchange.access import SCOPE_ADMIN, SCOPE_SHARED_QUERY, PlatformAdminDep
from exchange.audit import service as audit
from exchange.errors import (
    AlreadyDecided,
    NoApproval,
    NotDataOwner,
    RecordNotFound,
    SharingRequestNotFound,
    UnknownFields,
)
from exchange.models import IdempotencyRecord, SharedDataset, SharedRecord, SharingRequest
from exchange.sharing.schemas import (
    DatasetCreate,
    DatasetRead,
    Decision,
    RecordsLoad,
    SharingRequestCreate,
    SharingRequestPage,
    SharingRequestRead,
)
from exchange.sharing.service import (
    DECIDER_ROLE,
    approved_fields,
    audit_refusal,
    consumer_department,
    get_dataset,
    granted_system,
    is_owner,
)
from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Conflict, Forbidden
from gov_common.http import created
from gov_common.pagination import (
    Cursor,
    Limit,
    Page,
    read_time_id_cursor,
    time_id_cursor,
)
from gov_standards.china_time import utcnow

router = APIRouter(prefix="/v1", tags=["shared data"])


# Department staff and systems that ask for and query shared data; owners and auditors administer it.
QueryDep = Annotated[Principal, scoped(SCOPE_SHARED_QUERY)]


AdminDep = Annotated[Principal, scoped(SCOPE_ADMIN)]


@router.post("/datasets", status_code=201, response_model=DatasetRead, summary="Add a shared dataset to the catalog")
async def create_dataset(
    body: DatasetCreate, request: Request, response: Response, session: SessionDep, _: PlatformAdminDep
) -> Any:
    """Platform admins. The same body again returns the dataset (safe retry); another body is a 409."""
    if body.key_field not in body.fields:
        raise UnknownFields("key_field must be one of fields", unknown=[body.key_field])
    existing = await session.get(SharedDataset, body.code)
    if existing is not None:
        if DatasetRead.model_validate(existing).model_dump() != body.model_dump():
            raise Conflict("a dataset with this code exists with other content")
        created(request, response, f"/v1/datasets/{existing.code}")
        return existing
    dataset = SharedDataset(**body.model_dump())
    session.add(dataset)
    await session.flush()
    created(request, response, f"/v1/datasets/{dataset.code}")
    return dataset


@router.get("/datasets", response_model=Page[DatasetRead], summary="The catalog of shared datasets (one page: all)")
async def list_datasets(principal: QueryDep, session: SessionDep) -> Any:
    """Metadata only (owner, fields), for staff and registered systems that may ask for access."""
    if principal.kind == "system":
        await granted_system(principal, session)
    elif principal.kind != "staff":
        raise Forbidden("the shared-data catalog is for departments and their systems")
    rows = await session.scalars(sa.select(SharedDataset).order_by(SharedDataset.code))
    return {"items": list(rows), "next_cursor": None}


@router.put("/datasets/{code}/records", summary="Load or replace records of a dataset (owner department)")
async def load_records(code: str, body: RecordsLoad, principal: AdminDep, session: SessionDep) -> dict[str, int]:
    dataset = await get_dataset(session, code)
    if not is_owner(principal, dataset):
        raise NotDataOwner()
    allowed = set(dataset.fields)
    for i, record in enumerate(body.records):
        unknown = sorted(set(record) - allowed)
        if unknown or dataset.key_field not in record:
            raise UnknownFields(f"record {i} has unknown fields or lacks {dataset.key_field}", index=i, unknown=unknown)
    written = 0
    for record in body.records:
        key = str(record[dataset.key_field])
        row = await session.scalar(
            sa.select(SharedRecord).where(SharedRecord.dataset_code == code, SharedRecord.record_key == key)
        )
        if row is None:
            session.add(SharedRecord(dataset_code=code, record_key=key, data=record))
        else:
            row.data = record
        written += 1
    await session.flush()
    return {"written": written}


@router.post(
    "/sharing-requests",
    status_code=201,
    response_model=SharingRequestRead,
    summary="Ask for access to a dataset",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def request_access(
    body: SharingRequestCreate,
    request: Request,
    principal: QueryDep,
    session: SessionDep,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    department, actor = await consumer_department(principal, session)
    dataset = await get_dataset(session, body.dataset_code)
    unknown = sorted(set(body.fields) - set(dataset.fields))
    if unknown:
        raise UnknownFields(unknown=unknown, fields=dataset.fields)
    # The consumer department's keys, whichever of its people or systems sends them (as before).
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=f"department:{department}",
        scope="sharing-requests.create",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/sharing-requests/{claim.record.body['id']}")
    req = SharingRequest(
        dataset_code=dataset.code,
        consumer_department=department,
        requested_by=actor,
        purpose=body.purpose,
        fields=sorted(set(body.fields)),
        valid_until=body.valid_until,
        status="pending",
    )
    session.add(req)
    await session.flush()
    answer = SharingRequestRead.model_validate(req).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=answer), f"/v1/sharing-requests/{req.id}")


@router.get("/sharing-requests", response_model=SharingRequestPage, summary="Sharing requests I made or must decide")
async def list_requests(
    principal: QueryDep,
    session: SessionDep,
    role: Annotated[Literal["consumer", "owner"], Query()] = "consumer",
    status: Annotated[Literal["pending", "approved", "refused"] | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """``role=consumer``: my department's requests; ``role=owner``: requests for datasets my department owns."""
    department, _ = await consumer_department(principal, session)
    query = sa.select(SharingRequest).order_by(SharingRequest.created_at, SharingRequest.id).limit(limit + 1)
    if role == "consumer":
        query = query.where(SharingRequest.consumer_department == department)
    else:
        query = query.join(SharedDataset).where(SharedDataset.owner_department == department)
    if status:
        query = query.where(SharingRequest.status == status)
    after = read_time_id_cursor(cursor)
    if after:
        query = query.where(sa.tuple_(SharingRequest.created_at, SharingRequest.id) > after)
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None}


@router.post("/sharing-requests/{request_id}/decision", response_model=SharingRequestRead, summary="Approve or refuse")
async def decide(request_id: uuid.UUID, body: Decision, principal: AdminDep, session: SessionDep) -> Any:
    """An ``approver`` of the dataset's owner department decides, once."""
    req = await session.get(SharingRequest, request_id, with_for_update=True)
    if req is None:
        raise SharingRequestNotFound()
    dataset = await get_dataset(session, req.dataset_code)
    if not is_owner(principal, dataset) or DECIDER_ROLE not in principal.roles:
        raise NotDataOwner()
    if req.status != "pending":
        raise AlreadyDecided(current_status=req.status)
    if body.decision == "refuse" and not body.reason:
        raise Conflict("a refusal needs a reason")
    req.status = "approved" if body.decision == "approve" else "refused"
    req.decided_by, req.decided_at, req.reason = principal.subject, utcnow(), body.reason
    await session.flush()
    return req


@router.get(
    "/datasets/{code}/records/{key}",
    summary="Query one record: only the approved fields",
)
async def query_record(code: str, key: str, request: Request, principal: QueryDep, session: SessionDep) -> Any:
    """For a department (its staff, or its system with ``exchange.shared.query``) holding a current
    approval; the answer carries only the approved fields. Every call, refused ones too, is audited."""
    department, actor = await consumer_department(principal, session)
    dataset = await get_dataset(session, code)
    fields = await approved_fields(session, code, department)
    audit_args: dict[str, Any] = {
        "actor": actor,
        "dataset_code": code,
        "owner_department": dataset.owner_department,
        "consumer_department": department,
        "request_body": {"dataset": code, "key": key},
    }
    if not fields:
        error = NoApproval()
        await audit_refusal(session, request, response_body=bytes(error.to_response().body).decode(), **audit_args)
        raise error
    row = await session.scalar(
        sa.select(SharedRecord).where(SharedRecord.dataset_code == code, SharedRecord.record_key == key)
    )
    if row is None:
        await audit_refusal(session, request, response_body={"not_found": key}, **audit_args)
        raise RecordNotFound()
    body: dict[str, Any] = {
        "dataset": code,
        "key": key,
        "fields": sorted(fields),
        "record": {f: v for f, v in row.data.items() if f in fields},
    }
    await audit.append(session, request, response_body=body, **audit_args)
    return body
