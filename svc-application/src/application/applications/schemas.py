"""Request and response bodies of the applications API."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from application.domain import ID_NUMBER_RE
from gov_common.http import AwareDateTime
from gov_standards.identifiers import parse_credit_code, parse_id_number

CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"


class ApplicantIn(BaseModel):
    """Who applies. A citizen gives their name, and their ID number or not (then it is the one identity verified
    for their account); an enterprise agent the enterprise's name
    (the credit code comes from the token); hall staff give the kind and identifier of the person or
    enterprise at the window (and their account id when they have one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100)
    id_number: str | None = Field(
        default=None,
        pattern=ID_NUMBER_RE.pattern,
        description="18-character ID number (a citizen for themself may leave it out: identity's verified one)",
    )
    credit_code: str | None = Field(default=None, pattern=CREDIT_CODE_PATTERN, description="hall cases only")
    kind: Literal["citizen", "enterprise"] | None = Field(default=None, description="hall cases only")
    subject: str | None = Field(default=None, max_length=200, description="hall cases only: the account id")

    # The patterns document the form; the standards decide (check character, region, birth date, authority).
    @field_validator("id_number")
    @classmethod
    def _a_real_id_number(cls, value: str | None) -> str | None:
        return None if value is None else parse_id_number(value).value

    @field_validator("credit_code")
    @classmethod
    def _a_real_credit_code(cls, value: str | None) -> str | None:
        return None if value is None else parse_credit_code(value)


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_code: str = Field(min_length=1, max_length=64, description="implementation code (实施编码) of the item")
    applicant: ApplicantIn
    form: dict[str, Any] = Field(default_factory=dict)
    submit: bool = Field(default=False, description="submit at once (the pre-review must pass)")
    hall_id: uuid.UUID | None = Field(
        default=None,
        description="hall cases: the hall (of the acceptor's region) whose window accepts it; where the result "
        "is picked up when it was accepted for another region (异地代收)",
    )


class ApplicationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: dict[str, Any]


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: dict[str, Any] | None = Field(default=None, description="replaces the saved form before submitting")


class SupplementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: dict[str, Any] | None = Field(default=None, description="a corrected form, when asked for")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=500)


class LicenseMaterialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="the material it replaces")
    license_id: str = Field(min_length=1, max_length=100)


class MaterialRead(BaseModel):
    id: uuid.UUID
    name: str
    source: Literal["upload", "license"]
    filename: str | None
    media_type: str | None
    size: int | None
    sha256: str | None
    license_id: str | None
    license_type: str | None
    verified: bool
    round: int
    added_at: AwareDateTime


class ApplicantRead(BaseModel):
    subject: str | None
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None
    agent: str | None
    name_masked: str


class ItemRead(BaseModel):
    implementation_code: str
    version: int
    name: str


class AcceptanceRead(BaseModel):
    """异地代收: who accepted the application at a window of another region, for the item's department."""

    region: str = Field(description="the accepting window's region (GB/T 2260)")
    department: str = Field(description="the accepting department's credit code (the hall's)")
    acceptor: str = Field(description="the accepting staff member's account id")
    hall_id: uuid.UUID | None


class ApplicationRead(BaseModel):
    id: uuid.UUID
    tracking_number: str | None
    query_code: str | None = Field(
        description="given with the tracking number: with it, anyone the applicant tells may follow the progress"
    )
    status: str
    channel: Literal["online", "hall"]
    item: ItemRead
    region: str
    department: dict[str, str]
    applicant: ApplicantRead
    form: dict[str, Any]
    materials: list[MaterialRead]
    case_id: str | None
    supplement_request: dict[str, Any] | None
    decision: dict[str, Any] | None
    bundle_id: uuid.UUID | None = Field(
        default=None,
        description="the bundle application (一件事) this is one part of: GET /v1/bundle-applications/{id}",
    )
    accepted_for: AcceptanceRead | None = Field(
        default=None,
        description="异地代收: the window of another region that accepted it on the department's behalf",
    )
    created_at: AwareDateTime
    updated_at: AwareDateTime
    submitted_at: AwareDateTime | None


class ApplicationSummary(BaseModel):
    id: uuid.UUID
    tracking_number: str | None
    case_id: str | None = Field(
        default=None, description="workflow's case, once submitted (payments and ratings name it)"
    )
    status: str
    channel: str
    item_code: str
    item_name: str
    region: str
    created_at: AwareDateTime
    submitted_at: AwareDateTime | None


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None


class HistoryEntry(BaseModel):
    status: str
    at: AwareDateTime


class PreReviewFieldError(BaseModel):
    pointer: str = Field(description='JSON Pointer into the form (RFC 6901; the whole form is "")')
    field: str = Field(description="the same place in dotted form")
    message: str
    code: str = Field(description="the JSON Schema keyword that failed")


class LicenseReplacement(BaseModel):
    license_id: str
    type_code: str
    type_name: str | None = None


class MissingMaterial(BaseModel):
    name: str
    license_type: str | None = Field(description="the e-license type that can stand in for it, if any")
    replaceable_by: list[LicenseReplacement] = Field(description="the applicant's e-licenses of that type")


class PreReviewRead(BaseModel):
    """预审: what is missing before the application may be submitted."""

    ok: bool = Field(description="nothing is missing: the application may be submitted")
    item_published: bool
    form_errors: list[PreReviewFieldError]
    missing_materials: list[MissingMaterial]
    license_lookup: Literal["not_asked", "ok", "unavailable"] = Field(
        description="whether the applicant's e-licenses were looked up for replaceable materials"
    )


class PublicStatus(BaseModel):
    """What anyone holding the tracking number and its query code sees: no personal data."""

    tracking_number: str
    item_name: str
    department_name: str
    status: str
    submitted_at: AwareDateTime | None
    updated_at: AwareDateTime
    history: list[HistoryEntry]


class OnlineRateRow(BaseModel):
    key: str
    name: str | None
    online: int
    offline: int
    total: int
    online_rate: float = Field(description="online / total, 4 decimals")


class OnlineRateReport(BaseModel):
    group_by: Literal["region", "department", "item"]
    from_date: str | None
    to_date: str | None
    rows: list[OnlineRateRow]
    online: int
    total: int
    online_rate: float
