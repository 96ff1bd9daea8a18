"""``/v1/calendar``: read the working-day arrangement; platform admins add or replace a year."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gov_common.auth import Principal, scoped
from gov_common.deps import SessionDep
from gov_common.pagination import IsoDate
from gov_common.policy import admin_of
from gov_standards.calendar import parse_year
from workflow.access import CALENDAR_WRITE, CASES_READ
from workflow.calendars import service
from workflow.deps import ClockDep
from workflow.errors import InvalidCalendar, OutOfScope
from workflow.models import CalendarYear

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])
Year = Annotated[int, Path(ge=2000, le=2100)]


async def _platform_admin(principal: Annotated[Principal, scoped(CALENDAR_WRITE)]) -> Principal:
    if not admin_of(principal, None):
        raise OutOfScope("platform administrators only", required_role="platform_admin")
    return principal


PlatformAdmin = Annotated[Principal, Depends(_platform_admin)]


class YearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[IsoDate] = Field(max_length=120, description="days off, incl. weekend days inside a holiday block")
    makeup_workdays: list[IsoDate] = Field(max_length=20, description="Saturdays/Sundays that are working days (调休)")
    source: str = Field(min_length=4, max_length=500, description="the notice this arrangement comes from")


class YearRead(BaseModel):
    year: int
    holidays: list[date]
    makeup_workdays: list[date]
    source: str


class WorkingDaysRead(BaseModel):
    start: date
    days: int
    deadline: date


# Reading the arrangement goes with reading cases (it is what their promised dates are counted on).
@router.get("/deadline", response_model=WorkingDaysRead, dependencies=[scoped(CASES_READ)])
async def add_working_days(
    start: IsoDate, days: Annotated[int, Query(ge=0, le=365)], session: SessionDep
) -> WorkingDaysRead:
    """The deadline ``days`` working days after ``start`` (for front-ends that show promised dates)."""
    if start.year > 9000:  # a year of days later must still be a date Python can count
        raise InvalidCalendar("start must be before the year 9001")
    calendar = await service.load(session)
    return WorkingDaysRead(start=start, days=days, deadline=calendar.add_working_days(start, days))


@router.get("/{year}", response_model=YearRead, dependencies=[scoped(CASES_READ)])
async def get_year(year: Year, session: SessionDep) -> YearRead:
    """Any caller who may read cases may read the arrangement (it is public information)."""
    row = await session.get(CalendarYear, year)
    if row is None:
        raise InvalidCalendar(f"no arrangement stored for {year}", year=year)
    return YearRead(year=row.year, holidays=row.holidays, makeup_workdays=row.makeup_workdays, source=row.source)


@router.put(
    "/{year}", response_model=YearRead, responses={201: {"model": YearRead, "description": "the year was added"}}
)
async def put_year(
    year: Year,
    body: YearIn,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    _: PlatformAdmin,
) -> YearRead:
    """Add or replace a year (platform admins; the notice comes out each November). Idempotent."""
    try:
        parsed = parse_year(year, [d.isoformat() for d in body.holidays], [d.isoformat() for d in body.makeup_workdays])
    except ValueError as exc:
        raise InvalidCalendar(str(exc), year=year) from exc
    row, created = await service.put_year(session, year=parsed, source=body.source, now=clock.now())
    response.status_code = 201 if created else 200
    return YearRead(year=row.year, holidays=row.holidays, makeup_workdays=row.makeup_workdays, source=row.source)
