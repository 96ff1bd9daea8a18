"""Countersign requests (会签): the staff handling a case ask another department of the case's region (or a
department above it) for its opinion; that department's staff see the request (the question, the case's
tracking number and item, never the applicant's data) and answer it once, agreeing or not, with an opinion.
Both are in the case's trace with who did them. The case's own steps do not wait for them (a countersign
step of the item's process does that); the handlers read the answers on the case.

``/v1/cases/{case_id}/countersigns`` (the case's handlers) and ``/v1/countersigns`` (the asked department)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.http import AwareDateTime, created
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.policy import staff_in
from gov_standards.regions import region_covers
from workflow import access, trace
from workflow.cases.domain import Actor
from workflow.cases.notes import handled_case
from workflow.cases.service import lock_case
from workflow.deps import ClockDep
from workflow.errors import CountersignAnswered, CountersignNotFound, InvalidCountersign
from workflow.models import Case, CountersignRequest, IdempotencyRecord

router = APIRouter(prefix="/v1", tags=["cases"])
DEPARTMENT_CODE = r"^[0-9A-Z]{18}$"
TEXT_MAX = 2000


class CountersignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str = Field(pattern=DEPARTMENT_CODE, description="the asked department's credit code")
    region: str = Field(pattern=r"^\d{6}$", description="the asked department's region: the case's or one above it")
    question: str = Field(min_length=1, max_length=TEXT_MAX)


class CountersignAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agree: bool
    opinion: str = Field(min_length=1, max_length=TEXT_MAX)


class CountersignRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    tracking_number: str
    item_name: str
    department: str = Field(description="the asked department")
    region: str
    question: str
    requested_by: str
    requested_department: str | None
    requested_at: AwareDateTime
    status: Literal["open", "answered"]
    agree: bool | None
    opinion: str | None
    answered_by: str | None
    answered_at: AwareDateTime | None


class CountersignPage(BaseModel):
    items: list[CountersignRead]
    next_cursor: str | None = None


def countersign_read(req: CountersignRequest) -> CountersignRead:
    return CountersignRead.model_validate({c.key: getattr(req, c.key) for c in CountersignRequest.__table__.columns})


def _asked(principal: Principal, req: CountersignRequest) -> bool:
    """Staff of the asked department whose region subtree covers the region it was asked in."""
    return staff_in(principal, department=req.department, region=req.region)


def _actor(principal: Principal, role: str | None) -> Actor:
    return Actor(subject=principal.subject, kind="staff", role=role, department=principal.department)


def _role_of(principal: Principal) -> str | None:
    return next((r for r in ("reviewer", "approver", "acceptor") if r in principal.roles), None)


@router.post(
    "/cases/{case_id}/countersigns",
    status_code=201,
    response_model=CountersignRead,
    summary="Ask another department to countersign (the case's handlers)",
    dependencies=[scoped(access.CASES_HANDLE)],
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def request_countersign(
    case_id: uuid.UUID,
    body: CountersignCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.CASES_HANDLE)],
    clock: ClockDep,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    """The asked department is another one, in the case's region or a region above it."""
    case = await handled_case(session, case_id, principal)
    if body.department == case.department:
        raise InvalidCountersign("a department does not countersign its own case", field="department")
    if not region_covers(body.region, case.region):
        raise InvalidCountersign("the asked department is in the case's region or above it", field="region")
    claim = await idempotency.claim(
        session, IdempotencyRecord, principal=principal.subject, scope="cases.countersigns.create",
        key=idempotency_key, body={"case_id": str(case.id), **body.model_dump(mode="json")},
    )  # fmt: skip
    if claim.replay:
        return created(request, claim.response(), f"/v1/countersigns/{claim.record.body['id']}")
    locked = await lock_case(session, case.id)
    assert locked is not None
    now = clock.now()
    req = CountersignRequest(
        case_id=case.id,
        tracking_number=case.tracking_number,
        item_name=case.item_name,
        department=body.department,
        region=body.region,
        question=body.question,
        requested_by=principal.subject,
        requested_department=principal.department,
        requested_at=now,
        status="open",
    )
    session.add(req)
    await session.flush()
    await trace.append(
        session, locked, at=now, actor=_actor(principal, _role_of(principal)), action="countersign_requested",
        before=locked.status, after=locked.status, opinion=body.question,
        details={"countersign_id": str(req.id), "department": body.department, "region": body.region},
    )  # fmt: skip
    out = countersign_read(req).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=out), f"/v1/countersigns/{req.id}")


@router.get(
    "/cases/{case_id}/countersigns",
    response_model=CountersignPage,
    summary="The case's countersign requests and answers (the case's handlers)",
    dependencies=[scoped(access.CASES_READ)],
)
async def case_countersigns(
    case_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped(access.CASES_READ)]
) -> CountersignPage:
    case = await handled_case(session, case_id, principal)
    rows = await session.scalars(
        sa.select(CountersignRequest)
        .where(CountersignRequest.case_id == case.id)
        .order_by(CountersignRequest.requested_at, CountersignRequest.id)
        .limit(200)
    )
    return CountersignPage(items=[countersign_read(r) for r in rows])


@router.get(
    "/countersigns",
    response_model=CountersignPage,
    summary="Countersign requests to my department in my region subtree, oldest first",
    dependencies=[scoped(access.CASES_READ)],
)
async def my_countersigns(
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.CASES_READ)],
    status: Annotated[Literal["open", "answered"] | None, Query()] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> CountersignPage:
    if principal.kind != "staff" or not principal.department or not principal.region:
        return CountersignPage(items=[])
    stmt = sa.select(CountersignRequest).where(CountersignRequest.department == principal.department)
    if status:
        stmt = stmt.where(CountersignRequest.status == status)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(CountersignRequest.requested_at, CountersignRequest.id) > after)
    rows = [
        r
        for r in await session.scalars(stmt.order_by(CountersignRequest.requested_at, CountersignRequest.id).limit(500))
        if _asked(principal, r)
    ]
    page = rows[:limit]
    nxt = time_id_cursor(page[-1].requested_at, page[-1].id) if len(rows) > limit else None
    return CountersignPage(items=[countersign_read(r) for r in page], next_cursor=nxt)


async def _asked_request(session: SessionDep, principal: Principal, countersign_id: uuid.UUID) -> CountersignRequest:
    req = await session.get(CountersignRequest, countersign_id)
    if req is None:
        raise CountersignNotFound()
    if _asked(principal, req):
        return req
    case = await session.get(Case, req.case_id)
    if case is not None and access.is_staff_of(principal, case):
        return req  # the asking side reads its own request
    raise CountersignNotFound()


@router.get(
    "/countersigns/{countersign_id}",
    response_model=CountersignRead,
    summary="One countersign request (the asked department, or the case's department)",
    dependencies=[scoped(access.CASES_READ)],
)
async def get_countersign(
    countersign_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, scoped(access.CASES_READ)]
) -> CountersignRead:
    return countersign_read(await _asked_request(session, principal, countersign_id))


@router.post(
    "/countersigns/{countersign_id}/answer",
    response_model=CountersignRead,
    summary="Answer a countersign request once (the asked department's staff)",
    dependencies=[scoped(access.CASES_HANDLE)],
)
async def answer_countersign(
    countersign_id: uuid.UUID,
    body: CountersignAnswer,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.CASES_HANDLE)],
    clock: ClockDep,
) -> CountersignRead:
    req = await _asked_request(session, principal, countersign_id)
    if not _asked(principal, req):
        raise CountersignNotFound()  # the asking side may read it, not answer it
    locked = await lock_case(session, req.case_id)
    assert locked is not None
    fresh = await session.get(CountersignRequest, countersign_id, with_for_update=True, populate_existing=True)
    assert fresh is not None
    req = fresh
    if req.status != "open":
        raise CountersignAnswered()
    now = clock.now()
    req.status, req.agree, req.opinion = "answered", body.agree, body.opinion
    req.answered_by, req.answered_at = principal.subject, now
    await trace.append(
        session, locked, at=now, actor=_actor(principal, _role_of(principal)), action="countersign_answered",
        before=locked.status, after=locked.status, opinion=body.opinion,
        details={"countersign_id": str(req.id), "department": req.department, "agree": body.agree},
    )  # fmt: skip
    return countersign_read(req)
