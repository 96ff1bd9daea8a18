"""Events svc-identity publishes: the schemas other services code against.

Topic ``gov.identity.users``, keyed by account id. No raw ID number or phone number ever travels: only the
account id and masked values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.outbox import add_event

TOPIC_USERS = "gov.identity.users"
SOURCE = "/svc-identity"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserRegistered(_Event):
    """``identity.user.registered``: an account was created."""

    account_id: str
    kind: Literal["citizen", "staff"]
    assurance_level: int
    id_number_masked: str | None = None
    phone_masked: str | None = None
    region: str | None = None
    department: str | None = None
    roles: list[str] = []
    registered_at: datetime


class UserVerified(_Event):
    """``identity.user.verified``: the account's assurance level rose (2 base data, 3 in person)."""

    account_id: str
    assurance_level: Literal[2, 3]
    method: Literal["population_base_data", "in_person"]
    verified_by: str | None = None  # the staff account for in-person checks
    verified_at: datetime


EVENT_SCHEMAS: dict[str, type[_Event]] = {
    "identity.user.registered": UserRegistered,
    "identity.user.verified": UserVerified,
}


async def publish(session: AsyncSession, event_type: str, payload: _Event) -> None:
    assert EVENT_SCHEMAS[event_type] is type(payload)
    data = payload.model_dump(mode="json")
    subject = data["account_id"]
    await add_event(session, topic=TOPIC_USERS, type=event_type, source=SOURCE, subject=subject, data=data)
