"""Dependencies of svc-hall's endpoints: settings and the clock (injected, so that tests can move time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request

from gov_standards.china_time import utcnow
from hall.platform import Platform
from hall.settings import Settings

Clock = Callable[[], datetime]


@dataclass
class HallContext:
    settings: Settings
    clock: Clock = utcnow
    platform: Platform = field(init=False)

    def __post_init__(self) -> None:
        self.platform = Platform(self.settings)

    def now(self) -> datetime:
        return self.clock()

    @property
    def early(self) -> timedelta:
        return timedelta(minutes=self.settings.appointment_early_minutes)


def get_context(request: Request) -> HallContext:
    context: HallContext = request.app.state.hall
    return context


ContextDep = Annotated[HallContext, Depends(get_context)]
