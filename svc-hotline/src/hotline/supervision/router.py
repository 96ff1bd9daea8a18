"""Supervision (督办考核) figures per department, for 12345 operators and supervisors of a region."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import IsoDate
from gov_standards.china_time import china_date
from gov_standards.regions import region_prefix
from hotline import access
from hotline.deps import ContextDep
from hotline.domain import Figures
from hotline.errors import InvalidPeriod
from hotline.supervision import service
from hotline.supervision.schemas import DepartmentFigures, SupervisionReport

router = APIRouter(prefix="/v1", tags=["supervision"])


@router.get(
    "/supervision/departments",
    response_model=SupervisionReport,
    summary="Figures and composite score per department",
    description=Figures.__doc__ or "",
)
async def departments(
    session: SessionDep,
    principal: Annotated[Principal, scoped(access.SUPERVISION_READ)],
    context: ContextDep,
    region: Annotated[str, Query(pattern=r"^\d{6}$")],
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> SupervisionReport:
    access.ensure_supervision_reader(principal, region)
    today = china_date(context.now())
    end = date_to or today
    start = date_from or end - timedelta(days=30)
    if start > end or (end - start).days > 366:
        raise InvalidPeriod("from is after to, or the period is longer than a year")
    rows = await service.department_figures(
        session, region_prefix=region_prefix(region), date_from=start, date_to=end, today=today
    )
    return SupervisionReport(
        region=region,
        date_from=start,
        date_to=end,
        departments=[
            DepartmentFigures(
                department=department,
                department_name=name,
                dispatched=f.dispatched,
                responded_in_time=f.responded_in_time,
                answered=f.answered,
                answered_on_time=f.answered_on_time,
                answered_orders=f.answered_orders,
                callbacks=f.callbacks,
                solved=f.solved,
                satisfied=f.satisfied,
                reopened=f.reopened,
                response_rate=f.response_rate,
                on_time_rate=f.on_time_rate,
                resolution_rate=f.resolution_rate,
                satisfaction_rate=f.satisfaction_rate,
                reopen_rate=f.reopen_rate,
                score=f.score,
                overdue_open=overdue,
            )
            for department, name, f, overdue in rows
        ],
    )
