"""One-thing bundles (一件事): several items applied for together, with one merged materials list and
one merged form."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.items.schemas import LIFE_EVENTS, Material, check_form_schema
from gov_common.http import AwareDateTime
from gov_contracts import catalog as contract
from gov_standards.regions import is_guangxi_region


class BundleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(
        pattern=r"^[A-Z0-9][A-Z0-9-]{2,40}$", description="stable public code, e.g. YJS-450000-RESTAURANT"
    )
    name: str = Field(min_length=2, max_length=100)
    region: str
    life_event: str
    description: str = Field(min_length=2, max_length=1000)
    items: list[str] = Field(min_length=2, max_length=30, description="implementation codes of published items")

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not is_guangxi_region(v):
            raise ValueError("not a Guangxi GB/T 2260 region code (45xxxx)")
        return v

    @field_validator("life_event")
    @classmethod
    def _life_event(cls, v: str) -> str:
        if v not in LIFE_EVENTS:
            raise ValueError(f"unknown life event; known: {', '.join(LIFE_EVENTS)}")
        return v

    @field_validator("items")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(v) != len(set(v)):
            raise ValueError("an item appears twice")
        return v


class Built(BaseModel):
    # Built by catalog (merge.py), never sent to it: its answers' schema stays open as it always was.
    model_config = ConfigDict(extra="ignore")


class BundleItem(contract.BundleItem, Built):
    pass


class MergedMaterial(contract.MergedMaterial, Material):
    pass


class BundleDefinition(contract.BundleDefinition, Built):
    """What a published bundle carries: its items (pinned versions), merged materials and merged form."""

    items: tuple[BundleItem, ...]
    materials: tuple[MergedMaterial, ...]

    @field_validator("form_schema")
    @classmethod
    def _form(cls, v: dict[str, Any]) -> dict[str, Any]:
        check_form_schema(v)
        return v


class BundleRead(BaseModel):
    code: str
    version: int
    status: Literal["draft", "submitted", "published", "withdrawn", "superseded"]
    current: bool
    created_at: AwareDateTime
    published_at: AwareDateTime | None
    withdrawn_at: AwareDateTime | None
    definition: BundleDefinition


class StoredBundleRead(BundleRead):
    """A :class:`BundleRead` made from a stored version: its definition as stored (built and checked when
    drafted, frozen since), not validated again; the same JSON."""

    definition: dict[str, Any]  # type: ignore[assignment]
