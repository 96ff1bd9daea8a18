"""``/v1/supervision``: the electronic supervision view (电子监察) for supervisors of a region subtree."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict

from gov_common.auth import Principal, PrincipalDep, scoped
from gov_common.deps import SessionDep
from gov_common.http import AwareDateTime
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.policy import supervisor_of
from gov_standards.china_time import china_date
from workflow.access import SUPERVISION
from workflow.calendars.service import load as load_calendar
from workflow.deps import ClockDep
from workflow.errors import OutOfScope, TimeTravelDisabled
from workflow.models import Case
from workflow.settings import Settings
from workflow.supervision import service

router = APIRouter(prefix="/v1/supervision", tags=["supervision"], dependencies=[scoped(SUPERVISION)])


async def _supervisor(principal: PrincipalDep) -> Principal:
    if not supervisor_of(principal, principal.region):
        raise OutOfScope("supervisors only", required_role="supervisor")
    return principal


Supervisor = Annotated[Principal, Depends(_supervisor)]
RegionQ = Annotated[str | None, Query(pattern=r"^\d{6}$")]
LevelQ = Annotated[str | None, Query(pattern="^(green|yellow|red)$")]


class SummaryRead(BaseModel):
    region: str
    department: str | None
    item_code: str | None
    total: int
    by_status: dict[str, int]
    open_by_level: dict[str, int]
    overdue_steps: int
    completed: int
    average_handling_working_days: float | None
    on_time_rate: float | None


class SupervisedCase(BaseModel):
    id: str
    tracking_number: str
    item_code: str
    item_name: str
    region: str
    department: str
    status: str
    sla_level: str
    opened_at: AwareDateTime
    deadline: date
    closed_at: AwareDateTime | None
    on_time: bool | None


class SupervisedPage(BaseModel):
    items: list[SupervisedCase]
    next_cursor: str | None


class EvaluateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: AwareDatetime | None = None


class EvaluateRead(BaseModel):
    as_of: AwareDateTime
    checked: int
    warned: int
    overdue: int


def _scope(principal: Principal, region: str | None) -> str:
    region = region or principal.region
    if region is None or not supervisor_of(principal, region):
        raise OutOfScope("supervisors see their own region subtree only", region=region)
    return region


@router.get("/summary", response_model=SummaryRead)
async def summary(
    session: SessionDep,
    principal: Supervisor,
    clock: ClockDep,
    region: RegionQ = None,
    department: str | None = None,
    item_code: str | None = None,
) -> SummaryRead:
    """Counts by status and warning level, open steps past their own deadline, average handling time (working days, clock stops excluded) and
    on-time rate, by region (default: mine), department and item."""
    scope = _scope(principal, region)
    data: dict[str, Any] = await service.summary(
        session, conditions=service.scope_filter(scope, department, item_code), today=china_date(clock.now())
    )
    return SummaryRead(region=scope, department=department, item_code=item_code, **data)


@router.get("/cases", response_model=SupervisedPage)
async def cases(
    session: SessionDep,
    principal: Supervisor,
    region: RegionQ = None,
    department: str | None = None,
    item_code: str | None = None,
    level: LevelQ = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> SupervisedPage:
    """The cases behind the counts, e.g. ``level=red`` for the overdue ones."""
    scope = _scope(principal, region)
    stmt = sa.select(Case).where(*service.scope_filter(scope, department, item_code))
    if level:
        stmt = stmt.where(Case.sla_level == level)
    after = read_time_id_cursor(cursor)
    if after:
        stmt = stmt.where(sa.tuple_(Case.opened_at, Case.id) > after)
    rows = list(await session.scalars(stmt.order_by(Case.opened_at, Case.id).limit(limit + 1)))
    items = [
        SupervisedCase(
            id=str(c.id),
            tracking_number=c.tracking_number,
            item_code=c.item_code,
            item_name=c.item_name,
            region=c.region,
            department=c.department,
            status=c.status,
            sla_level=c.sla_level,
            opened_at=c.opened_at,
            deadline=c.deadline,
            closed_at=c.closed_at,
            on_time=c.on_time,
        )
        for c in rows[:limit]
    ]
    nxt = time_id_cursor(rows[limit - 1].opened_at, rows[limit - 1].id) if len(rows) > limit else None
    return SupervisedPage(items=items, next_cursor=nxt)


@router.post("/evaluations", response_model=EvaluateRead)
async def evaluate(
    body: EvaluateIn, request: Request, session: SessionDep, principal: Supervisor, clock: ClockDep
) -> EvaluateRead:
    """Run the warning sweep now (it also runs in the background). ``as_of`` evaluates at another time:
    only where ``WORKFLOW_ALLOW_TIME_TRAVEL`` is on, which production refuses."""
    settings: Settings = request.app.state.runtime.settings
    as_of = clock.now()
    if body.as_of is not None:
        if not settings.allow_time_travel:
            raise TimeTravelDisabled()
        as_of = body.as_of
    region = _scope(principal, None)
    calendar = await load_calendar(session)
    sweep = await service.evaluate(
        session, calendar=calendar, now=as_of, warn_share=settings.sla_warning_share, region=region
    )
    return EvaluateRead(as_of=as_of, checked=sweep.checked, warned=sweep.warned, overdue=sweep.overdue)
