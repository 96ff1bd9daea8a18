"""Demo data for ``make run``: a completed case the demo citizen can rate, and one already rated badly
with its rectification open for the department. Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.access import RATINGS_WRITE
from evaluation.domain import Channel
from evaluation.models import EvaluatedCase, Rating
from evaluation.ratings.schemas import RatingCreate
from evaluation.ratings.service import create_rating
from evaluation.settings import Settings
from gov_common.auth import Principal
from gov_common.calendars import load_calendar
from gov_common.service import demo_subject
from gov_common.settings import ServiceSettings
from gov_standards.china_time import utcnow

DEMO_CITIZEN = demo_subject("zhangsan")  # the demo citizen identity seeds
DEMO_DEPARTMENT = "11450100MBQH0Y21QM"  # Nanning market regulation
DEMO_REGION = "450100"
OPEN_CASE, RATED_CASE = "demo-case-eval-1", "demo-case-eval-2"


def _case(case_id: str, tracking: str) -> EvaluatedCase:
    done = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    return EvaluatedCase(
        case_id=case_id,
        application_id=f"app-{case_id}",
        tracking_number=tracking,
        item_code="000112004000",
        item_name="食品经营许可",
        region=DEMO_REGION,
        department=DEMO_DEPARTMENT,
        applicant_subject=DEMO_CITIZEN,
        applicant_kind="citizen",
        applicant_enterprise=None,
        handled_by=["demo-acceptor"],
        result="approved",
        completed_at=done,
        received_at=done,
    )


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    days = settings.rectification_working_days if isinstance(settings, Settings) else 15
    for case_id, tracking in ((OPEN_CASE, "GX2026EV0001"), (RATED_CASE, "GX2026EV0002")):
        if await session.get(EvaluatedCase, case_id) is None:
            session.add(_case(case_id, tracking))
    await session.flush()
    rating = await session.scalar(sa.select(Rating).where(Rating.case_id == RATED_CASE)) or await create_rating(
        session,
        principal=Principal(subject=DEMO_CITIZEN, kind="citizen", scopes=frozenset({RATINGS_WRITE})),
        rating_in=RatingCreate(case_id=RATED_CASE, level=2, reasons=["slow"], comment="等了很久", channel=Channel.WEB),
        now=utcnow(),
        calendar=await load_calendar(session),
        working_days=days,
    )
    assert isinstance(rating, Rating)
    return [
        f"evaluation: case {OPEN_CASE!r} waits for a rating by the demo citizen zhangsan: "
        "POST /api/evaluation/v1/ratings {case_id, level 1-5, reasons, channel}",
        f"evaluation: bad rating {rating.id} opened a rectification for department {DEMO_DEPARTMENT} "
        "(GET /api/evaluation/v1/rectifications as its staff); GET /api/evaluation/v1/rankings/departments is public",
    ]
