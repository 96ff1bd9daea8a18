"""Events svc-workflow publishes (the schema other services code against) and the shapes it consumes.

Published on ``gov.workflow.cases`` (subject = case id), as in docs/events.md. Every case event carries
:class:`CaseEvent`'s fields; ``workflow.case.fee_requested`` is exactly payment's ``FeeRequested``
(a test proves it against ``payment.events``). No event carries a staff member's or applicant's
personal data beyond the applicant's subject and masked name.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TOPIC = "gov.workflow.cases"
SOURCE = "/svc-workflow"

ACCEPTED = "workflow.case.accepted"
REFUSED = "workflow.case.refused"
SUPPLEMENT_REQUESTED = "workflow.case.supplement_requested"
FEE_REQUESTED = "workflow.case.fee_requested"
APPROVED = "workflow.case.approved"
REJECTED = "workflow.case.rejected"
COMPLETED = "workflow.case.completed"
WITHDRAWN = "workflow.case.withdrawn"
SLA_WARNING = "workflow.sla.warning"
SLA_OVERDUE = "workflow.sla.overdue"

# Consumed
ITEM_PUBLISHED = "catalog.item.published"
APPLICATION_SUBMITTED = "application.submitted"
APPLICATION_SUPPLEMENTED = "application.supplemented"
APPLICATION_WITHDRAWN = "application.withdrawn"
ORDER_PAID = "payment.order.paid"


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = None


class CaseEvent(BaseModel):
    """The fields every ``workflow.case.*`` event carries (except ``fee_requested``)."""

    model_config = ConfigDict(extra="forbid")
    case_id: str
    application_id: str
    tracking_number: str
    item_code: str
    item_name: str
    region: str
    department: str
    applicant: Applicant
    occurred_at: AwareDatetime


class CaseAccepted(CaseEvent):
    """``workflow.case.accepted`` (受理): the deadline is the promised time limit in working days."""

    accepted_by: str
    deadline: date


class CaseRefused(CaseEvent):
    """``workflow.case.refused`` (不予受理): the case ends."""

    reason: str


class MissingMaterial(BaseModel):
    model_config = ConfigDict(extra="forbid")
    material: str
    reason: str


class SupplementRequested(CaseEvent):
    """``workflow.case.supplement_requested`` (补正): the clock stops until ``application.supplemented``."""

    missing: list[MissingMaterial] = Field(min_length=1)
    note: str


class Holder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_type: Literal["citizen_id", "credit_code"]
    id_hash: str | None = None
    name: str


class CaseApproved(CaseEvent):
    """``workflow.case.approved``: certificates issues ``result_license_type`` when there is one."""

    decided_by: str = Field(description="staff subject, or 'smart-approval rule <id>'")
    opinion: str
    decided_at: AwareDatetime
    result_license_type: str | None
    license_fields: dict[str, Any]
    holder: Holder


class CaseRejected(CaseEvent):
    """``workflow.case.rejected``: the decision refuses the application, with the legal reason."""

    reason: str
    legal_basis: str
    decided_by: str


class CaseCompleted(CaseEvent):
    """``workflow.case.completed`` (办结)."""

    completed_at: AwareDatetime
    result: Literal["approved", "rejected"]
    handled_by: list[str]


class CaseWithdrawn(CaseEvent):
    """``workflow.case.withdrawn``: the applicant withdrew; the case ends."""

    reason: str


class SlaEvent(BaseModel):
    """``workflow.sla.warning`` (yellow: the configured share of the time limit is used) and
    ``workflow.sla.overdue`` (red: the deadline has passed)."""

    model_config = ConfigDict(extra="forbid")
    case_id: str
    tracking_number: str
    department: str
    region: str
    deadline: date
    stage: str


class FeeLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    amount_fen: int = Field(gt=0)
    legal_basis: str = ""


class FeeApplicant(BaseModel):
    subject: str
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = None  # the credit code: payment lets the enterprise's agents pay


class FeeRequested(BaseModel):
    """``workflow.case.fee_requested``: the shape of ``payment.events.FeeRequested``."""

    case_id: str
    application_id: str
    tracking_number: str
    item_code: str
    applicant: FeeApplicant
    department: str
    region: str
    lines: list[FeeLine] = Field(min_length=1)


SCHEMAS: dict[str, type[BaseModel]] = {
    ACCEPTED: CaseAccepted,
    REFUSED: CaseRefused,
    SUPPLEMENT_REQUESTED: SupplementRequested,
    FEE_REQUESTED: FeeRequested,
    APPROVED: CaseApproved,
    REJECTED: CaseRejected,
    COMPLETED: CaseCompleted,
    WITHDRAWN: CaseWithdrawn,
    SLA_WARNING: SlaEvent,
    SLA_OVERDUE: SlaEvent,
}


def payload(event_type: str, **data: Any) -> dict[str, Any]:
    """The JSON ``data`` of an event, validated against its documented schema before it is staged."""
    return SCHEMAS[event_type].model_validate(data).model_dump(mode="json")


# --- shapes consumed (docs/events.md; svc-application is the publisher) -----------------------------


class SubmittedItem(BaseModel):
    implementation_code: str
    version: int
    name: str


class SubmittedDepartment(BaseModel):
    code: str
    name: str


class SubmittedApplicant(BaseModel):
    subject: str | None = Field(default=None, description="null for a hall case of a person without an account")
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = None
    agent: str | None = None
    name_masked: str = ""
    id_tail: str = ""


class SubmittedMaterial(BaseModel):
    name: str
    source: Literal["upload", "license"]
    sha256: str | None = None
    license_id: str | None = None
    license_type: str | None = None
    verified: bool = False


class ApplicationSubmitted(BaseModel):
    application_id: str
    tracking_number: str
    submitted_at: AwareDatetime
    channel: str = "online"
    item: SubmittedItem
    bundle_code: str | None = None
    region: str
    department: SubmittedDepartment
    applicant: SubmittedApplicant
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[SubmittedMaterial] = Field(default_factory=list)


class ApplicationSupplemented(BaseModel):
    application_id: str
    tracking_number: str
    case_id: str | None = None
    supplemented_at: AwareDatetime
    materials: list[SubmittedMaterial] = Field(default_factory=list)
    form: dict[str, Any] | None = None


class ApplicationWithdrawn(BaseModel):
    application_id: str
    tracking_number: str
    case_id: str | None = None
    withdrawn_at: AwareDatetime
    reason: str = ""


class OrderPaid(BaseModel):
    """The part of ``payment.order.paid`` the workflow reads."""

    order_id: str
    case_id: str
    amount_fen: int
    paid_at: AwareDatetime
