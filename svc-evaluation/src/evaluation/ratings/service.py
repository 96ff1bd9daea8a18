"""Ratings: one per completed case, by its applicant, immutable; on-site ratings relayed by hall devices.
A real-name bad rating opens a rectification due in N working days. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation import access
from evaluation.domain import RELAYED_CHANNELS, RectificationStatus, invalid_reasons, is_bad
from evaluation.errors import (
    AlreadyRated,
    CaseNotRatable,
    InvalidRatingTarget,
    InvalidReasons,
    OutOfScope,
    RatingNotFound,
    ReasonRequired,
)
from evaluation.models import EvaluatedCase, Rating, Rectification
from evaluation.ratings.schemas import RatingCreate
from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_common.policy import system_in
from gov_contracts import evaluation as contract
from gov_contracts import publish
from gov_standards.calendar import WorkingCalendar
from gov_standards.china_time import china_date


def check_reasons(level: int, reasons: Sequence[str]) -> None:
    bad = invalid_reasons(level, reasons)
    if bad:
        raise InvalidReasons(invalid=bad)
    if is_bad(level) and not reasons:
        raise ReasonRequired()


async def create_rating(
    session: AsyncSession,
    *,
    principal: Principal,
    rating_in: RatingCreate,
    now: datetime,
    calendar: WorkingCalendar,
    working_days: int,
    relayed: bool = False,
) -> Rating:
    """Record a rating. ``relayed``: a system (a hall device, the hotline, SMS) relays the rating of
    ``rating_in.rater_subject``."""
    check_reasons(rating_in.level, rating_in.reasons)
    if relayed and rating_in.channel not in RELAYED_CHANNELS:
        raise InvalidRatingTarget("a system relays ratings from a hall device, the hotline or SMS only")
    if not relayed and rating_in.channel == "hotline":
        raise InvalidRatingTarget("hotline ratings are relayed by the hotline system")
    if not relayed and rating_in.rater_subject not in (None, principal.subject):
        raise InvalidRatingTarget("rater_subject is for relaying systems; you rate as yourself")
    rating = Rating(
        id=uuid.uuid4(),
        submitted_by=principal.subject,
        level=rating_in.level,
        reasons=list(rating_in.reasons),
        comment=rating_in.comment,
        channel=str(rating_in.channel),
        rated_at=now,
        rated_on=china_date(now),
        rated_month=china_date(now).strftime("%Y-%m"),
        excluded=False,
    )
    if rating_in.case_id is not None:
        case = await session.get(EvaluatedCase, rating_in.case_id)
        if case is None:
            raise CaseNotRatable()
        rater = rating_in.rater_subject if relayed else principal.subject
        access.ensure_may_rate(principal, case, rater_subject=rater or "", relayed=relayed)
        rating.case_id, rating.rater_subject = case.case_id, rater
        # The rating belongs to the case's applicant: the citizen, or the enterprise (all its agents).
        rating.rater_kind, rating.rater_enterprise = case.applicant_kind, case.applicant_enterprise
        rating.department, rating.region, rating.item_code = case.department, case.region, case.item_code
    else:
        # On-site service at a window: only the hall's device (a relaying system) knows the window.
        if not relayed:
            raise Forbidden("on-site ratings come from the hall's device (POST /v1/ratings/relayed)")
        if rating_in.channel != "hall_device":
            raise InvalidRatingTarget("on-site ratings use the hall_device channel")
        assert rating_in.department and rating_in.region
        if not system_in(principal, scope=access.RATINGS_RELAY, region=rating_in.region):
            raise OutOfScope("a hall device relays ratings of its own region only", region=rating_in.region)
        rating.rater_subject = rating_in.rater_subject
        rating.rater_kind = "citizen" if rating_in.rater_subject else None
        rating.department, rating.region = rating_in.department, rating_in.region
        rating.item_code, rating.window = rating_in.item_code, rating_in.window
    try:
        async with session.begin_nested():
            session.add(rating)
            await session.flush()
    except IntegrityError:
        # Another rating of the same case committed first (a repeated key is answered before: the claim).
        raise AlreadyRated() from None
    if is_bad(rating.level) and rating.rater_subject:
        # Every real-name bad rating is followed up by the rated department.
        session.add(
            Rectification(
                id=uuid.uuid4(),
                rating_id=rating.id,
                department=rating.department,
                region=rating.region,
                rater_subject=rating.rater_subject,
                rater_kind=rating.rater_kind or "citizen",
                rater_enterprise=rating.rater_enterprise,
                status=str(RectificationStatus.OPEN),
                due=calendar.add_working_days(rating.rated_on, working_days),
                opened_at=now,
                updated_at=now,
                history=[{"at": now.isoformat(), "by": "system", "action": "opened"}],
            )
        )
        await session.flush()
    await publish(
        session,
        contract.RatingSubmitted(
            rating_id=str(rating.id),
            case_id=rating.case_id,
            level=rating.level,
            channel=rating.channel,
            department=rating.department,
            region=rating.region,
            item_code=rating.item_code,
            rated_at=rating.rated_at,
        ),
    )
    return rating


async def get_rating(session: AsyncSession, rating_id: uuid.UUID) -> Rating:
    rating = await session.get(Rating, rating_id)
    if rating is None:
        raise RatingNotFound()
    return rating


async def rectification_ids(session: AsyncSession, rating_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not rating_ids:
        return {}
    rows = await session.execute(
        sa.select(Rectification.rating_id, Rectification.id).where(Rectification.rating_id.in_(rating_ids))
    )
    return {r.rating_id: r.id for r in rows}


async def list_ratings(
    session: AsyncSession,
    *,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Rating]:
    query = sa.select(Rating).where(*where)
    if after is not None:
        at, last = after
        query = query.where(sa.or_(Rating.rated_at < at, sa.and_(Rating.rated_at == at, Rating.id < last)))
    query = query.order_by(Rating.rated_at.desc(), Rating.id.desc()).limit(limit)
    return list(await session.scalars(query))
