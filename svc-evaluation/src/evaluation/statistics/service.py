"""Statistics for dashboards: counts per level, satisfaction rate, rectification rate and timeliness of
bad ratings, consultations answered on time; by department, region, item or month over a period. Each
figure is one grouped SQL query, so that the database does the counting. Ratings found malicious on
appeal are not counted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.domain import RectificationStatus, rate
from evaluation.models import Consultation, Rating, Rectification
from evaluation.statistics.schemas import (
    ConsultationCounts,
    GroupBy,
    RatingCounts,
    RectificationCounts,
    StatisticsRow,
)
from gov_standards.regions import region_prefix


@dataclass(frozen=True)
class Filters:
    region: str | None = None  # a subtree (450100 covers 4501xx)
    department: str | None = None
    item_code: str | None = None
    date_from: date | None = None  # China days, inclusive
    date_to: date | None = None


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _rating_dim(group_by: GroupBy) -> sa.ColumnElement[Any]:
    dims: dict[str, Any] = {
        "department": Rating.department,
        "region": Rating.region,
        "item": Rating.item_code,
        "month": Rating.rated_month,
        "none": sa.literal(None, sa.String),
    }
    dim: sa.ColumnElement[Any] = dims[group_by]
    return dim


def _consultation_dim(group_by: GroupBy) -> sa.ColumnElement[Any]:
    dims: dict[str, Any] = {
        "department": Consultation.department,
        "region": Consultation.region,
        "item": Consultation.item_code,
        "month": Consultation.asked_month,
        "none": sa.literal(None, sa.String),
    }
    dim: sa.ColumnElement[Any] = dims[group_by]
    return dim


def _rating_filters(f: Filters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [Rating.excluded.is_(False)]
    if f.region:
        where.append(Rating.region.like(region_prefix(f.region) + "%"))
    if f.department:
        where.append(Rating.department == f.department)
    if f.item_code:
        where.append(Rating.item_code == f.item_code)
    if f.date_from:
        where.append(Rating.rated_on >= f.date_from)
    if f.date_to:
        where.append(Rating.rated_on <= f.date_to)
    return where


def _consultation_filters(f: Filters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if f.region:
        where.append(Consultation.region.like(region_prefix(f.region) + "%"))
    if f.department:
        where.append(Consultation.department == f.department)
    if f.item_code:
        where.append(Consultation.item_code == f.item_code)
    if f.date_from:
        where.append(Consultation.asked_on >= f.date_from)
    if f.date_to:
        where.append(Consultation.asked_on <= f.date_to)
    return where


def _empty() -> dict[str, Any]:
    return {"levels": defaultdict(int), "rect": (0, 0, 0, 0), "cons": (0, 0, 0, 0, 0, 0)}


def _row(key: str | None, acc: dict[str, Any]) -> StatisticsRow:
    levels: dict[int, int] = acc["levels"]
    total = sum(levels.values())
    satisfied = sum(n for lvl, n in levels.items() if lvl >= 3)
    rect_total, rectified, measured, on_time = acc["rect"]
    c_total, c_answered, c_measured, c_on_time, c_judged, c_satisfied = acc["cons"]
    return StatisticsRow(
        key=key,
        ratings=RatingCounts(
            total=total,
            by_level={str(lvl): levels.get(lvl, 0) for lvl in (5, 4, 3, 2, 1)},
            satisfied=satisfied,
            bad=total - satisfied,
        ),
        satisfaction_rate=rate(satisfied, total),
        rectifications=RectificationCounts(total=rect_total, rectified=rectified, measured=measured, on_time=on_time),
        rectification_rate=rate(rectified, rect_total),
        timeliness_rate=rate(on_time, measured),
        consultations=ConsultationCounts(
            total=c_total,
            answered=c_answered,
            measured=c_measured,
            on_time=c_on_time,
            judged=c_judged,
            satisfied=c_satisfied,
        ),
        consultation_on_time_rate=rate(c_on_time, c_measured),
    )


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = _empty()
    for acc in rows:
        for lvl, n in acc["levels"].items():
            out["levels"][lvl] += n
        out["rect"] = tuple(a + b for a, b in zip(out["rect"], acc["rect"], strict=True))
        out["cons"] = tuple(a + b for a, b in zip(out["cons"], acc["cons"], strict=True))
    return out


async def compute(
    session: AsyncSession, *, group_by: GroupBy, filters: Filters, today: date
) -> tuple[list[StatisticsRow], StatisticsRow]:
    """Rows per group (sorted by key) and the totals; ``today`` (China) decides what is past due."""
    groups: dict[str | None, dict[str, Any]] = defaultdict(_empty)

    dim = _rating_dim(group_by).label("k")
    rating_rows = await session.execute(
        sa.select(dim, Rating.level, sa.func.count()).where(*_rating_filters(filters)).group_by(dim, Rating.level)
    )
    for key, level, n in rating_rows:
        groups[key]["levels"][int(level)] += int(n)

    rect_rows = await session.execute(
        sa.select(
            dim,
            sa.func.count(),
            _count_if(Rectification.status == str(RectificationStatus.CONFIRMED)),
            _count_if(sa.or_(Rectification.replied_on_time.is_not(None), Rectification.due < today)),
            _count_if(Rectification.replied_on_time.is_(True)),
        )
        .select_from(Rectification)
        .join(Rating, Rating.id == Rectification.rating_id)
        .where(*_rating_filters(filters), Rectification.status != str(RectificationStatus.VOIDED))
        .group_by(dim)
    )
    for key, *counts in rect_rows:
        groups[key]["rect"] = tuple(int(c) for c in counts)

    cdim = _consultation_dim(group_by).label("k")
    cons_rows = await session.execute(
        sa.select(
            cdim,
            sa.func.count(),
            _count_if(Consultation.answered_at.is_not(None)),
            _count_if(sa.or_(Consultation.answered_on_time.is_not(None), Consultation.due < today)),
            _count_if(Consultation.answered_on_time.is_(True)),
            _count_if(Consultation.satisfaction.is_not(None)),
            _count_if(Consultation.satisfaction >= 3),
        )
        .where(*_consultation_filters(filters))
        .group_by(cdim)
    )
    for key, *counts in cons_rows:
        groups[key]["cons"] = tuple(int(c) for c in counts)

    keys = sorted(groups, key=lambda k: (k is None, k or ""))
    rows = [_row(k, groups[k]) for k in keys]
    totals = _row(None, _sum_rows([groups[k] for k in keys]))
    return rows, totals
