"""Bodies of webhook subscriptions and deliveries."""

from __future__ import annotations

import uuid

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from exchange.webhooks.outbound import OUTBOUND, SUBSCRIBABLE
from gov_common.http import AwareDateTime

_TYPES = "; ".join(
    f"`{name}` ({spec.description}): {', '.join([*spec.fields, *spec.fixed, 'time'])}"
    for name, spec in OUTBOUND.items()
)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    event_types: list[str] = Field(
        min_length=1,
        description="any of these outbound types, each delivered with these fields only "
        f"(docs/events.md, 'Outbound events'): {_TYPES}",
    )

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SUBSCRIBABLE))
        if unknown:
            raise ValueError(f"cannot subscribe to {unknown}: not outbound events (any of {list(SUBSCRIBABLE)})")
        return sorted(set(value))


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    url: str
    event_types: list[str]
    active: bool
    created_at: AwareDateTime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="HMAC key of the signatures; shown only in this response")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: AwareDateTime | None
    last_error: str | None
    last_status_code: int | None
    created_at: AwareDateTime
    delivered_at: AwareDateTime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
