from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hall.halls.schemas import QUEUE_CODE
from hall.tickets.schemas import TicketRead


class CallResult(BaseModel):
    ticket: TicketRead | None = Field(description="null: nobody waits in the window's queues")


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str = Field(pattern=QUEUE_CODE, description="the queue it waits in next")


class Finished(BaseModel):
    ticket: TicketRead
    rating: dict[str, str | None] = Field(
        description="what the window's device sends to evaluation (channel hall_device) to ask for a rating"
    )
