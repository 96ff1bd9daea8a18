"""Ratings: submit (applicant, or a relaying system), read and list (who may see them), the reason list."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from evaluation import access
from evaluation.deps import ContextDep
from evaluation.domain import BAD_REASONS, GOOD_REASONS, LEVEL_NAMES, is_bad
from evaluation.errors import RatingNotFound
from evaluation.models import IdempotencyRecord, Rating
from evaluation.ratings import service
from evaluation.ratings.schemas import RatingCreate, RatingPage, RatingRead, Reason, ReasonList
from gov_common import idempotency
from gov_common.auth import Principal, scoped
from gov_common.calendars import load_calendar
from gov_common.deps import SessionDep
from gov_common.http import created
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor

router = APIRouter(prefix="/v1", tags=["ratings"])
Reader = Annotated[Principal, scoped(access.RATINGS_READ)]


def rating_read(rating: Rating, rectification_id: uuid.UUID | None) -> RatingRead:
    return RatingRead(
        id=rating.id,
        case_id=rating.case_id,
        level=rating.level,
        level_name=LEVEL_NAMES[rating.level],
        bad=is_bad(rating.level),
        reasons=rating.reasons,
        comment=rating.comment,
        channel=rating.channel,
        department=rating.department,
        region=rating.region,
        item_code=rating.item_code,
        window=rating.window,
        rated_at=rating.rated_at,
        excluded=rating.excluded,
        rectification_id=rectification_id,
    )


def can_read(principal: Principal, rating: Rating) -> bool:
    rater = access.owner(rating.rater_kind, rating.rater_subject, rating.rater_enterprise)
    return access.may_read(principal, rater, department=rating.department, region=rating.region)


@router.get("/reasons", response_model=ReasonList, summary="The reasons a rater picks from (public)")
async def reasons() -> ReasonList:
    return ReasonList(
        good=[Reason(code=c, label=v) for c, v in GOOD_REASONS.items()],
        bad=[Reason(code=c, label=v) for c, v in BAD_REASONS.items()],
    )


@router.post(
    "/ratings",
    status_code=201,
    response_model=RatingRead,
    summary="Rate a completed case (its applicant, once)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def create_rating(
    rating_in: RatingCreate,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.RATINGS_WRITE)],
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    return await _rate(request, session, principal, rating_in, context, idempotency_key, relayed=False)


@router.post(
    "/ratings/relayed",
    status_code=201,
    response_model=RatingRead,
    summary="Relay an applicant's rating of a case, or rate on-site service (hall devices, 12345, SMS)",
    openapi_extra=idempotency.KEY_OPTIONAL,
)
async def relay_rating(
    rating_in: RatingCreate,
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.RATINGS_RELAY)],
    context: ContextDep,
    request: Request,
    idempotency_key: idempotency.OptionalKey,
) -> JSONResponse:
    return await _rate(request, session, principal, rating_in, context, idempotency_key, relayed=True)


async def _rate(
    request: Request,
    session: SessionDep,
    principal: Principal,
    rating_in: RatingCreate,
    context: ContextDep,
    idempotency_key: str | None,
    *,
    relayed: bool,
) -> JSONResponse:
    # One scope for both routes: a key names one rating of its sender, however it was sent.
    claim = await idempotency.claim(
        session,
        IdempotencyRecord,
        principal=principal.subject,
        scope="ratings.create",
        key=idempotency_key,
        body=rating_in.model_dump(mode="json"),
    )
    if claim.replay:
        return created(request, claim.response(), f"/v1/ratings/{claim.record.body['id']}")
    rating = await service.create_rating(
        session,
        principal=principal,
        rating_in=rating_in,
        now=context.now(),
        calendar=await load_calendar(session),
        working_days=context.settings.rectification_working_days,
        relayed=relayed,
    )
    rect = await service.rectification_ids(session, [rating.id])
    body = rating_read(rating, rect.get(rating.id)).model_dump(mode="json")
    return created(request, idempotency.remember(claim, status_code=201, body=body), f"/v1/ratings/{rating.id}")


@router.get("/ratings", response_model=RatingPage, summary="Ratings the caller may see, newest first")
async def list_ratings(
    session: SessionDep,
    principal: Reader,
    limit: Limit = 20,
    cursor: Cursor = None,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    case_id: Annotated[str | None, Query(max_length=64)] = None,
) -> RatingPage:
    rater = (Rating.rater_kind, Rating.rater_subject, Rating.rater_enterprise)
    where = access.visible(principal, owner=rater, department=Rating.department, region=Rating.region)
    if level is not None:
        where.append(Rating.level == level)
    if case_id is not None:
        where.append(Rating.case_id == case_id)
    rows = await service.list_ratings(session, where=where, limit=limit + 1, after=read_time_id_cursor(cursor))
    page, more = rows[:limit], len(rows) > limit
    rect = await service.rectification_ids(session, [r.id for r in page])
    return RatingPage(
        items=[rating_read(r, rect.get(r.id)) for r in page],
        next_cursor=time_id_cursor(page[-1].rated_at, page[-1].id) if more else None,
    )


@router.get("/ratings/{rating_id}", response_model=RatingRead, summary="One rating")
async def get_rating(rating_id: uuid.UUID, session: SessionDep, principal: Reader) -> RatingRead:
    rating = await service.get_rating(session, rating_id)
    if not can_read(principal, rating):
        raise RatingNotFound()  # do not confirm that someone else's rating exists
    rect = await service.rectification_ids(session, [rating.id])
    return rating_read(rating, rect.get(rating.id))
