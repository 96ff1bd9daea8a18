"""The working-day calendar's change event, published by svc-workflow (the calendar's single source of
truth) and read by every service that counts working days (gov_common.calendars keeps their copy)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common import calendars
from gov_common.events import CloudEvent
from gov_contracts.base import Event
from gov_contracts.handlers import EventHandlers
from gov_standards.calendar import YearCalendar, parse_year


class CalendarYearChanged(Event):
    """A year's holiday arrangement was added or replaced (``PUT /v1/calendar/{year}``): the full year, so a
    consumer stores it as is; the latest ``changed_at`` of a year wins."""

    topic: ClassVar[str] = "gov.workflow.calendar"
    type: ClassVar[str] = "workflow.calendar_year.changed"
    publisher: ClassVar[str] = "/svc-workflow"
    subject_field: ClassVar[str] = "year"

    year: int = Field(ge=2000, le=2100)
    holidays: list[date] = Field(max_length=120, description="days off, incl. weekend days inside a holiday block")
    makeup_workdays: list[date] = Field(max_length=20, description="Saturdays/Sundays that are working days (调休)")
    source: str = Field(min_length=1, max_length=500, description="the notice the arrangement comes from")
    changed_at: AwareDatetime

    @model_validator(mode="after")
    def _a_valid_arrangement(self) -> CalendarYearChanged:
        self.arrangement()  # ValueError (a malformed event) when the dates do not make a year's arrangement
        return self

    def arrangement(self) -> YearCalendar:
        """The year as the pure calendar type."""
        return parse_year(self.year, self.holidays, self.makeup_workdays)


def calendar_handlers(group: str) -> EventHandlers:
    """A consumer group (``<service>.calendar``) that keeps the years workflow publishes in the service's
    ``received_calendar_year`` table (gov_common.calendars); add ``.subscription()`` to ``SPEC``."""
    handlers = EventHandlers(group=group)

    @handlers.on(CalendarYearChanged)
    async def year_changed(session: AsyncSession, event: CalendarYearChanged, envelope: CloudEvent) -> None:
        await calendars.store_year(session, event.arrangement(), source=event.source, changed_at=event.changed_at)

    return handlers
