"""Dependencies of svc-evaluation's endpoints: settings and the clock (injected, so that tests can move time).
The working-day calendar is the platform's: gov_common.calendars.load_calendar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from evaluation.settings import Settings
from gov_standards.china_time import utcnow

Clock = Callable[[], datetime]


@dataclass
class EvaluationContext:
    settings: Settings
    clock: Clock = utcnow

    def now(self) -> datetime:
        return self.clock()


def get_context(request: Request) -> EvaluationContext:
    context: EvaluationContext = request.app.state.evaluation
    return context


ContextDep = Annotated[EvaluationContext, Depends(get_context)]
