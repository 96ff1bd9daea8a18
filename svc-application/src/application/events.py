"""The events svc-application publishes and consumes: the schemas other services code against.

Published on ``gov.application.applications``, subject = application id (docs/events.md):
``application.submitted`` (:class:`ApplicationSubmitted`), ``application.supplemented``
(:class:`ApplicationSupplemented`), ``application.withdrawn`` (:class:`ApplicationWithdrawn`).
Consumed: ``catalog.item.published`` / ``catalog.item.withdrawn`` (our copy of the item: form schema,
materials, region, department, fees, version; :class:`ItemPublishedView`) and ``workflow.case.*``
(:class:`CaseEvent`, the status of the case).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TOPIC = "gov.application.applications"
SOURCE = "/svc-application"
SUBMITTED = "application.submitted"
SUPPLEMENTED = "application.supplemented"
WITHDRAWN = "application.withdrawn"

ITEM_PUBLISHED = "catalog.item.published"
ITEM_WITHDRAWN = "catalog.item.withdrawn"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemRef(_Event):
    implementation_code: str
    version: int = Field(ge=1, description="the item version the application was made against")
    name: str


class DepartmentRef(_Event):
    code: str = Field(description="unified social credit code of the implementing department")
    name: str


class Applicant(_Event):
    subject: str | None = Field(description="account id; null for a hall case of a person without an account")
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = Field(description="credit code when an enterprise applies")
    agent: str | None = Field(description="the agent's account id when an agent acts for the enterprise")
    name_masked: str
    id_tail: str = Field(min_length=4, max_length=4, description="last 4 characters of ID number / credit code")


class MaterialRef(_Event):
    name: str
    source: Literal["upload", "license"]
    sha256: str | None = Field(pattern="^[0-9a-f]{64}$")
    license_id: str | None
    license_type: str | None
    verified: bool


class ApplicationSubmitted(_Event):
    """``application.submitted``: a complete application waits for acceptance by the department."""

    application_id: str
    tracking_number: str = Field(pattern=r"^\d{6}\d{8}\d{6}$")
    submitted_at: AwareDatetime
    channel: Literal["online", "hall"]
    item: ItemRef
    bundle_code: str | None = None
    region: str
    department: DepartmentRef
    applicant: Applicant
    form: dict[str, Any]
    materials: list[MaterialRef]


class ApplicationSupplemented(_Event):
    """``application.supplemented``: the applicant answered a supplement request (补正) and resubmitted."""

    application_id: str
    tracking_number: str
    case_id: str
    supplemented_at: AwareDatetime
    materials: list[MaterialRef]
    form: dict[str, Any] | None


class ApplicationWithdrawn(_Event):
    """``application.withdrawn``: the applicant withdrew before a decision."""

    application_id: str
    tracking_number: str
    case_id: str | None
    withdrawn_at: AwareDatetime
    reason: str


PUBLISHED: dict[str, type[BaseModel]] = {
    SUBMITTED: ApplicationSubmitted,
    SUPPLEMENTED: ApplicationSupplemented,
    WITHDRAWN: ApplicationWithdrawn,
}


def payload(model: BaseModel) -> dict[str, Any]:
    """An event's ``data``: JSON-ready, validated by construction."""
    return model.model_dump(mode="json")


# ---- consumed: the parts we keep (extra fields are ignored, so the publishers may add more)


class _Consumed(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ConsumedDepartment(_Consumed):
    code: str
    name: str


class ConsumedMaterial(_Consumed):
    name: str
    required: bool = True
    license_type: str | None = None
    note: str | None = None


class ConsumedDefinition(_Consumed):
    name: str
    region: str
    department: ConsumedDepartment
    service_object: Literal["citizen", "enterprise", "both"]
    fees: list[dict[str, Any]] = Field(default_factory=list)
    materials: list[ConsumedMaterial] = Field(default_factory=list)
    form_schema: dict[str, Any]
    delivery: list[str] = Field(default_factory=list)


class ItemPublishedView(_Consumed):
    """What we read of ``catalog.item.published`` (schema: catalog/events.py ItemPublished)."""

    implementation_code: str
    version: int = Field(ge=1)
    definition: ConsumedDefinition


class ItemWithdrawnView(_Consumed):
    implementation_code: str
    version: int = Field(ge=1)


class CaseApplicant(_Consumed):
    subject: str | None = None
    kind: str | None = None
    enterprise: str | None = None


class CaseEvent(_Consumed):
    """The common part of every ``workflow.case.*`` event (docs/events.md) and the fields we show."""

    case_id: str
    application_id: str
    tracking_number: str | None = None
    occurred_at: AwareDatetime | None = None
    # supplement_requested
    missing: list[dict[str, Any]] | None = None
    note: str | None = None
    # refused, rejected, withdrawn
    reason: str | None = None
    legal_basis: str | None = None
    # accepted
    deadline: str | None = None
    # approved / completed
    opinion: str | None = None
    result: str | None = None
    result_license_type: str | None = None
