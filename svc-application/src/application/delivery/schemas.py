"""Request and response bodies of result delivery."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from application.logistics import DELIVERY_STATUSES
from gov_common.http import AwareDateTime


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    recipient: str = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    region: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    detail: str = Field(min_length=2, max_length=200)
    postal_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["pickup", "mail"]
    hall_id: uuid.UUID | None = Field(default=None, description="pick-up hall")
    address: Address | None = Field(default=None, description="mail address")


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Annotated[str, Field(pattern="^(" + "|".join(DELIVERY_STATUSES) + ")$")]
    note: str = Field(default="", max_length=300)


class UpdateRead(BaseModel):
    status: str
    note: str
    at: AwareDateTime


class DeliveryRead(BaseModel):
    application_id: uuid.UUID
    method: str
    hall_id: uuid.UUID | None
    address: dict[str, Any] | None
    carrier: str | None
    waybill: str | None
    status: str
    updates: list[UpdateRead]


class BundleDeliveryRead(BaseModel):
    """One delivery chosen for a bundle application (一件事): each part's, as chosen at once."""

    bundle_id: uuid.UUID
    method: str
    hall_id: uuid.UUID | None
    parts: list[DeliveryRead]
