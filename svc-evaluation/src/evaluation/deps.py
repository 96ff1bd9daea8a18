"""Dependencies of svc-evaluation's endpoints: settings, the working-day calendar and the clock (injected,
so that tests can move time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from evaluation.settings import Settings
from gov_standards.calendar import WorkingCalendar, default_calendar
from gov_standards.china_time import utcnow

Clock = Callable[[], datetime]


@dataclass
class EvaluationContext:
    settings: Settings
    calendar: WorkingCalendar = field(default_factory=default_calendar)
    clock: Clock = utcnow

    def now(self) -> datetime:
        return self.clock()


def get_context(request: Request) -> EvaluationContext:
    context: EvaluationContext = request.app.state.evaluation
    return context


ContextDep = Annotated[EvaluationContext, Depends(get_context)]
