"""Statistics for dashboards (staff and reading systems, within their scope) and the public ranking of
departments (aggregates only, anonymous)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from evaluation import access
from evaluation.deps import ContextDep
from evaluation.errors import InvalidPeriod, OutOfScope
from evaluation.statistics import service
from evaluation.statistics.schemas import GroupBy, RankingRead, RankingRow, StatisticsRead
from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.errors import Forbidden
from gov_common.pagination import IsoDate
from gov_common.policy import admin_of, staff_in, supervisor_of, system_in
from gov_standards.china_time import china_date
from gov_standards.regions import region_covers

router = APIRouter(prefix="/v1", tags=["statistics"])

RegionQuery = Annotated[str | None, Query(pattern=r"^\d{6}$", description="a region subtree (450100 covers 4501xx)")]
FromQuery = Annotated[IsoDate | None, Query(alias="from", description="first China day, inclusive")]
ToQuery = Annotated[IsoDate | None, Query(alias="to", description="last China day, inclusive")]


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidPeriod("'from' is after 'to'", date_from=str(date_from), date_to=str(date_to))


def narrowed_to_caller(principal: Principal, filters: service.Filters) -> service.Filters:
    """The filters narrowed to what the caller may see: platform administrators and reading systems of no
    region everything, supervisors and reading systems of a region that subtree, handling staff their own
    department in their region subtree."""
    if admin_of(principal, None) or system_in(principal, scope=access.RATINGS_READ):
        return filters
    if principal.kind not in ("staff", "system") or not principal.region:
        raise Forbidden("statistics are for staff and reading systems; see the public ranking")
    if filters.region and not region_covers(principal.region, filters.region):
        raise OutOfScope("that region is outside yours", region=filters.region)
    narrowed = replace(filters, region=filters.region or principal.region)
    if system_in(principal, scope=access.RATINGS_READ, region=narrowed.region) or supervisor_of(
        principal, narrowed.region
    ):
        return narrowed
    if staff_in(principal, department=principal.department, region=narrowed.region):
        if filters.department and filters.department != principal.department:
            raise OutOfScope("handling staff see their own department only")
        return replace(narrowed, department=principal.department)
    raise Forbidden("a supervisor, a handling role or platform_admin is required")


@router.get("/statistics", response_model=StatisticsRead, summary="Rating, rectification and consultation figures")
async def statistics(
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.RATINGS_READ)],
    context: ContextDep,
    group_by: GroupBy = "department",
    region: RegionQuery = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    item_code: Annotated[str | None, Query(max_length=64)] = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> StatisticsRead:
    _check_period(date_from, date_to)
    filters = narrowed_to_caller(
        principal,
        service.Filters(
            region=region, department=department, item_code=item_code, date_from=date_from, date_to=date_to
        ),
    )
    rows, totals = await service.compute(session, group_by=group_by, filters=filters, today=china_date(context.now()))
    return StatisticsRead(
        group_by=group_by,
        region=filters.region,
        department=filters.department,
        item_code=filters.item_code,
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        totals=totals,
    )


@router.get(
    "/rankings/departments",
    response_model=RankingRead,
    summary="Public ranking of departments by satisfaction rate (no sign-in)",
)
async def department_ranking(
    session: SessionDep,
    context: ContextDep,
    region: RegionQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    min_ratings: Annotated[int, Query(ge=1, le=10000, description="leave out departments with fewer ratings")] = 1,
) -> RankingRead:
    _check_period(date_from, date_to)
    rows, _ = await service.compute(
        session,
        group_by="department",
        filters=service.Filters(region=region, date_from=date_from, date_to=date_to),
        today=china_date(context.now()),
    )
    ranked = sorted(
        (r for r in rows if r.key is not None and r.ratings.total >= min_ratings),
        key=lambda r: (-(r.satisfaction_rate or 0.0), -r.ratings.total, r.key or ""),
    )
    return RankingRead(
        region=region,
        date_from=date_from,
        date_to=date_to,
        rows=[
            RankingRow(
                rank=i,
                department=r.key or "",
                ratings=r.ratings.total,
                satisfaction_rate=r.satisfaction_rate,
                bad=r.ratings.bad,
                rectification_rate=r.rectification_rate,
                timeliness_rate=r.timeliness_rate,
            )
            for i, r in enumerate(ranked, 1)
        ],
    )
