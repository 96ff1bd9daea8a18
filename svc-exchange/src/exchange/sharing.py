"""Shared data: a catalog of datasets with their owner departments and fields, sharing requests decided
by the owner, field-restricted queries by approved consumers, and the hash-chained access audit that
owners and auditors read and verify."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from exchange import audit
from exchange.access import SCOPE_ADMIN, SCOPE_SHARED_QUERY, PlatformAdminDep, registered_system
from exchange.errors import (
    AlreadyDecided,
    DatasetNotFound,
    NoApproval,
    NotDataOwner,
    RecordNotFound,
    ScopeNotGranted,
    SharingRequestNotFound,
    SystemNotRegistered,
    UnknownFields,
)
from exchange.identifiers import credit_code_shape_ok
from exchange.models import AccessAudit, ExternalSystem, SharedDataset, SharedRecord, SharingRequest, utcnow
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Conflict, Forbidden
from gov_common.idempotency import IdempotencyKey, check_replay, request_hash
from gov_common.pagination import (
    Cursor,
    IsoDateTime,
    Limit,
    decode_cursor,
    encode_cursor,
    read_time_id_cursor,
    time_id_cursor,
)
from gov_common.policy import SUPERVISOR, admin_of

router = APIRouter(prefix="/v1", tags=["shared data"])
DECIDER_ROLE = "approver"
# Department staff and systems that ask for and query shared data; owners and auditors administer it.
QueryDep = Annotated[Principal, scoped(SCOPE_SHARED_QUERY)]
AdminDep = Annotated[Principal, scoped(SCOPE_ADMIN)]


class DatasetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,49}$")
    name: str = Field(min_length=1, max_length=200)
    owner_department: str
    fields: list[str] = Field(min_length=1, max_length=100)
    key_field: str
    description: str = Field(default="", max_length=1000)

    @field_validator("owner_department")
    @classmethod
    def _dept(cls, value: str) -> str:
        if not credit_code_shape_ok(value):
            raise ValueError("owner_department must be a unified social credit code")
        return value


class DatasetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    owner_department: str
    fields: list[str]
    key_field: str
    description: str


class RecordsLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class SharingRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset_code: str
    purpose: str = Field(min_length=5, max_length=1000)
    fields: list[str] = Field(min_length=1)
    valid_until: IsoDateTime = Field(description="end of the term of use (RFC 3339)")

    @field_validator("valid_until")
    @classmethod
    def _future(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("valid_until needs its offset")
        if value <= utcnow():
            raise ValueError("valid_until must be in the future")
        return value


class SharingRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    dataset_code: str
    consumer_department: str
    purpose: str
    fields: list[str]
    valid_until: datetime
    status: str
    decided_at: datetime | None
    reason: str | None
    created_at: datetime


class SharingRequestPage(BaseModel):
    items: list[SharingRequestRead]
    next_cursor: str | None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "refuse"]
    reason: str | None = Field(default=None, max_length=1000)


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    request_id: str
    actor: str
    consumer_department: str | None
    dataset_code: str | None
    owner_department: str | None
    method: str
    path: str
    request_hash: str
    response_hash: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None


class ChainVerification(BaseModel):
    valid: bool
    entries: int
    broken_at: int | None
    head: str


async def _dataset(session: AsyncSession, code: str) -> SharedDataset:
    dataset = await session.get(SharedDataset, code)
    if dataset is None:
        raise DatasetNotFound()
    return dataset


def _is_owner(principal: Principal, dataset: SharedDataset) -> bool:
    return principal.kind == "staff" and principal.department == dataset.owner_department


@router.post("/datasets", status_code=201, response_model=DatasetRead, summary="Add a shared dataset to the catalog")
async def create_dataset(body: DatasetCreate, session: SessionDep, _: PlatformAdminDep) -> Any:
    """Platform admins. The same body again returns the dataset (safe retry); another body is a 409."""
    if body.key_field not in body.fields:
        raise UnknownFields("key_field must be one of fields", unknown=[body.key_field])
    existing = await session.get(SharedDataset, body.code)
    if existing is not None:
        if DatasetRead.model_validate(existing).model_dump() != body.model_dump():
            raise Conflict("a dataset with this code exists with other content")
        return existing
    dataset = SharedDataset(**body.model_dump())
    session.add(dataset)
    await session.flush()
    return dataset


@router.get("/datasets", response_model=list[DatasetRead], summary="The catalog of shared datasets")
async def list_datasets(principal: QueryDep, session: SessionDep) -> Any:
    """Metadata only (owner, fields), for staff and registered systems that may ask for access."""
    if principal.kind == "system":
        await granted_system(principal, session)
    elif principal.kind != "staff":
        raise Forbidden("the shared-data catalog is for departments and their systems")
    return list(await session.scalars(sa.select(SharedDataset).order_by(SharedDataset.code)))


@router.put("/datasets/{code}/records", summary="Load or replace records of a dataset (owner department)")
async def load_records(code: str, body: RecordsLoad, principal: AdminDep, session: SessionDep) -> dict[str, int]:
    dataset = await _dataset(session, code)
    if not _is_owner(principal, dataset):
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


async def granted_system(principal: Principal, session: AsyncSession) -> ExternalSystem:
    """The calling system, registered, active and granted ``exchange.shared.query`` in the registry (its
    token's scope was checked by the operation)."""
    system = await registered_system(session, principal)
    if system is None:
        raise SystemNotRegistered()
    if SCOPE_SHARED_QUERY not in system.scopes:
        raise ScopeNotGranted(required_scope=SCOPE_SHARED_QUERY)
    return system


async def consumer_department(principal: Principal, session: AsyncSession) -> tuple[str, str]:
    """(department credit code, actor) of a staff member or of a registered department system."""
    if principal.kind == "staff" and principal.department:
        return principal.department, principal.subject
    if principal.kind == "system":
        system = await granted_system(principal, session)
        if not system.department:
            raise Forbidden("the system belongs to no department")
        return system.department, system.identifier
    raise Forbidden("shared data is for departments and their systems")


@router.post(
    "/sharing-requests", status_code=201, response_model=SharingRequestRead, summary="Ask for access to a dataset"
)
async def request_access(
    body: SharingRequestCreate, principal: QueryDep, session: SessionDep, idempotency_key: IdempotencyKey = None
) -> Any:
    department, actor = await consumer_department(principal, session)
    dataset = await _dataset(session, body.dataset_code)
    unknown = sorted(set(body.fields) - set(dataset.fields))
    if unknown:
        raise UnknownFields(unknown=unknown, fields=dataset.fields)
    digest = request_hash(body.model_dump(mode="json"))
    if idempotency_key:
        earlier = await session.scalar(
            sa.select(SharingRequest).where(
                SharingRequest.consumer_department == department, SharingRequest.idempotency_key == idempotency_key
            )
        )
        if earlier is not None:
            check_replay(earlier.request_hash, digest)
            return earlier
    req = SharingRequest(
        dataset_code=dataset.code,
        consumer_department=department,
        requested_by=actor,
        purpose=body.purpose,
        fields=sorted(set(body.fields)),
        valid_until=body.valid_until,
        status="pending",
        idempotency_key=idempotency_key,
        request_hash=digest,
    )
    session.add(req)
    await session.flush()
    return req


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
    dataset = await _dataset(session, req.dataset_code)
    if not _is_owner(principal, dataset) or DECIDER_ROLE not in principal.roles:
        raise NotDataOwner()
    if req.status != "pending":
        raise AlreadyDecided(current_status=req.status)
    if body.decision == "refuse" and not body.reason:
        raise Conflict("a refusal needs a reason")
    req.status = "approved" if body.decision == "approve" else "refused"
    req.decided_by, req.decided_at, req.reason = principal.subject, utcnow(), body.reason
    await session.flush()
    return req


async def approved_fields(session: AsyncSession, dataset_code: str, department: str) -> set[str]:
    rows = await session.scalars(
        sa.select(SharingRequest.fields).where(
            SharingRequest.dataset_code == dataset_code,
            SharingRequest.consumer_department == department,
            SharingRequest.status == "approved",
            SharingRequest.valid_until > utcnow(),
        )
    )
    return {f for fields in rows for f in fields}


@router.get(
    "/datasets/{code}/records/{key}",
    summary="Query one record: only the approved fields",
)
async def query_record(code: str, key: str, request: Request, principal: QueryDep, session: SessionDep) -> Any:
    """For a department (its staff, or its system with ``exchange.shared.query``) holding a current
    approval; the answer carries only the approved fields. Every call, refused ones too, is audited."""
    department, actor = await consumer_department(principal, session)
    dataset = await _dataset(session, code)
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
        await _audit_refusal(session, request, response_body=error.to_response().body.decode(), **audit_args)
        raise error
    row = await session.scalar(
        sa.select(SharedRecord).where(SharedRecord.dataset_code == code, SharedRecord.record_key == key)
    )
    if row is None:
        await _audit_refusal(session, request, response_body={"not_found": key}, **audit_args)
        raise RecordNotFound()
    body: dict[str, Any] = {
        "dataset": code,
        "key": key,
        "fields": sorted(fields),
        "record": {f: v for f, v in row.data.items() if f in fields},
    }
    await audit.append(session, request, response_body=body, **audit_args)
    return body


async def _audit_refusal(session: AsyncSession, request: Request, **entry: Any) -> None:
    """Record an access that ends in an error. The request's transaction rolls back with the error, so the
    entry goes in a transaction of its own (the request's is ended first: SQLite allows one writer)."""
    await session.rollback()
    async with request.app.state.runtime.db.transaction() as own:
        await audit.append(own, request, **entry)


def _audit_reader(principal: Principal) -> str | None:
    """None = every entry (auditors); else the owner department whose entries the caller may read."""
    if admin_of(principal, None) or (principal.kind == "staff" and SUPERVISOR in principal.roles):
        return None
    if principal.kind == "staff" and principal.department:
        return principal.department
    raise Forbidden("the access audit is for data owners and auditors")


@router.get("/audit", response_model=AuditPage, summary="Access audit (owners: their datasets; auditors: all)")
async def read_audit(
    principal: AdminDep,
    session: SessionDep,
    dataset: Annotated[str | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Any:
    owner = _audit_reader(principal)
    query = sa.select(AccessAudit).order_by(AccessAudit.seq).limit(limit + 1)
    if owner is not None:
        query = query.where(AccessAudit.owner_department == owner)
    if dataset:
        query = query.where(AccessAudit.dataset_code == dataset)
    after = decode_cursor(cursor, s=int)
    if after:
        query = query.where(AccessAudit.seq > after["s"])
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor({"s": rows[-1].seq}) if more else None}


@router.get("/audit/verify", response_model=ChainVerification, summary="Verify the whole hash chain")
async def verify_audit(principal: AdminDep, session: SessionDep) -> Any:
    _audit_reader(principal)
    return await audit.verify(session)
