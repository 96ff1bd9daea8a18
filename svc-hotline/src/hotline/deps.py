"""Dependencies of svc-hotline's endpoints: settings, keys, the clock (injected, so that tests can move time)
and the emergency lines' adapter. The working-day calendar is the platform's: gov_common.calendars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from gov_common.crypto import Keys
from gov_standards.china_time import utcnow
from hotline.emergency import EmergencyLines, RecordingLines
from hotline.settings import Settings

Clock = Callable[[], datetime]


@dataclass
class HotlineContext:
    settings: Settings
    keys: Keys
    clock: Clock = utcnow
    emergency: EmergencyLines = field(default_factory=RecordingLines)

    def now(self) -> datetime:
        return self.clock()


def get_context(request: Request) -> HotlineContext:
    context: HotlineContext = request.app.state.hotline
    return context


ContextDep = Annotated[HotlineContext, Depends(get_context)]
