from __future__ import annotations

from pydantic import BaseModel, Field

from gov_common.http import AwareDateTime


class ShownCall(BaseModel):
    number: str
    window: str
    call: int = Field(description="1: the first call; above: a recall")
    called_at: AwareDateTime


class ScreenSnapshot(BaseModel):
    calls: list[ShownCall] = Field(description="the last calls, newest first")
    waiting: dict[str, int] = Field(description="waiting tickets per queue code")
    last_event_id: int = Field(description="send as Last-Event-ID to stream from here")
