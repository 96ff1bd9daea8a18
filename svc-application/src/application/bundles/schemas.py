"""Request and response bodies of the bundle applications API (一件事一次办)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from application.applications.schemas import (
    ApplicantIn,
    ApplicantRead,
    ItemRead,
    MaterialRead,
    PreReviewFieldError,
)
from gov_common.http import AwareDateTime


class BundleApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bundle_code: str = Field(min_length=1, max_length=64, description="code of a published one-thing bundle")
    applicant: ApplicantIn
    form: dict[str, Any] = Field(default_factory=dict, description="the bundle's merged form (each field once)")


class BundleApplicationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: dict[str, Any]


class BundleRef(BaseModel):
    code: str
    version: int
    name: str


class DepartmentRead(BaseModel):
    code: str
    name: str


class BundlePartRead(BaseModel):
    """One part of the bundle: an ordinary application for one item, with its own case in its department."""

    application_id: uuid.UUID
    tracking_number: str | None
    query_code: str | None = Field(description="the applicant's only (the public status query of this part)")
    status: str
    item: ItemRead
    department: DepartmentRead
    region: str
    case_id: str | None
    supplement_request: dict[str, Any] | None = Field(
        description="what this part's department asks for (补正): answered on the part, the others go on"
    )
    decision: dict[str, Any] | None
    submitted_at: AwareDateTime | None
    updated_at: AwareDateTime


class BundleMaterialRead(BaseModel):
    """A material of the bundle's merged list, asked once whatever number of items need it."""

    name: str
    required: bool
    license_type: str | None
    used_by: list[str] = Field(description="implementation codes of the items that need it")
    held_by: list[str] = Field(description="the items whose application holds it now")


class BundleProgress(BaseModel):
    parts: int
    ended: int = Field(description="parts whose case has ended (completed, refused or withdrawn)")
    completed: int


class BundleApplicationRead(BaseModel):
    """One status for the person: the bundle and each part's case as it stands."""

    id: uuid.UUID
    bundle: BundleRef
    status: Literal["draft", "submitted", "completed", "partial"] = Field(
        description="completed: every part approved and done; partial: every part ended, some not approved"
    )
    channel: Literal["online", "hall"]
    region: str
    applicant: ApplicantRead
    form: dict[str, Any] | None = Field(description="the applicant's only (staff see their own part's form)")
    materials: list[BundleMaterialRead] | None = Field(description="the applicant's only")
    parts: list[BundlePartRead]
    progress: BundleProgress
    created_at: AwareDateTime
    updated_at: AwareDateTime
    submitted_at: AwareDateTime | None
    completed_at: AwareDateTime | None


class BundleApplicationSummary(BaseModel):
    id: uuid.UUID
    bundle: BundleRef
    status: str
    created_at: AwareDateTime
    submitted_at: AwareDateTime | None
    completed_at: AwareDateTime | None


class BundleApplicationPage(BaseModel):
    items: list[BundleApplicationSummary]
    next_cursor: str | None


class PartMaterialRead(BaseModel):
    application_id: uuid.UUID
    item_code: str
    material: MaterialRead = Field(description="the record on that part (its name is the item's own)")


class BundleMaterialAdded(BaseModel):
    name: str
    parts: list[PartMaterialRead] = Field(description="every part that needed it: given once, used by each")


class BundleMissingMaterial(BaseModel):
    name: str
    license_type: str | None
    items: list[str] = Field(description="the items that still lack it")


class BundlePreReviewRead(BaseModel):
    """预审 of the whole bundle in its merged terms."""

    ok: bool
    bundle_published: bool
    items_unavailable: list[str]
    form_errors: list[PreReviewFieldError]
    missing_materials: list[BundleMissingMaterial]
