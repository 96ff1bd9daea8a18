"""Events svc-catalog publishes: the schema other services code against.

Topic ``gov.catalog.items`` (key = subject). ``subject`` is the item's implementation code (实施编码) or
the bundle's code. ``data`` of a ``*.published`` event is the whole published definition, so that
consumers keep their own copy (workflow: time limits and process; application: form schema and
materials; payment: fees); a later version of the same code replaces it. ``GET /v1/events/schemas``
serves these models as JSON Schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.bundles.schemas import BundleDefinition
from catalog.items.schemas import ItemDefinition

TOPIC = "gov.catalog.items"
SOURCE = "/svc-catalog"
ITEM_PUBLISHED = "catalog.item.published"
ITEM_WITHDRAWN = "catalog.item.withdrawn"
BUNDLE_PUBLISHED = "catalog.bundle.published"
BUNDLE_WITHDRAWN = "catalog.bundle.withdrawn"


class ItemPublished(BaseModel):
    """``catalog.item.published``: a version became the current one of its implementation code."""

    model_config = ConfigDict(extra="forbid")
    implementation_code: str
    version: int = Field(ge=1)
    inherits: str | None = Field(description="implementation code of the higher-region item it implements")
    online_level: str = Field(pattern="^(I|II|III|IV)$")
    fully_online: bool
    published_at: datetime
    definition: ItemDefinition


class ItemWithdrawn(BaseModel):
    """``catalog.item.withdrawn``: the code has no current version any more; stop accepting it."""

    model_config = ConfigDict(extra="forbid")
    implementation_code: str
    version: int = Field(ge=1)
    region: str
    withdrawn_at: datetime


class BundlePublished(BaseModel):
    """``catalog.bundle.published``: a one-thing bundle (一件事) version became current."""

    model_config = ConfigDict(extra="forbid")
    code: str
    version: int = Field(ge=1)
    published_at: datetime
    definition: BundleDefinition


class BundleWithdrawn(BaseModel):
    """``catalog.bundle.withdrawn``: the bundle is no longer offered."""

    model_config = ConfigDict(extra="forbid")
    code: str
    version: int = Field(ge=1)
    region: str
    withdrawn_at: datetime


SCHEMAS: dict[str, type[BaseModel]] = {
    ITEM_PUBLISHED: ItemPublished,
    ITEM_WITHDRAWN: ItemWithdrawn,
    BUNDLE_PUBLISHED: BundlePublished,
    BUNDLE_WITHDRAWN: BundleWithdrawn,
}


def payload(event_type: str, **data: Any) -> dict[str, Any]:
    """The JSON ``data`` of an event, validated against its documented schema before it is staged."""
    return SCHEMAS[event_type].model_validate(data).model_dump(mode="json")
