"""Events svc-workflow publishes on ``gov.workflow.cases`` (subject = case id). Every ``workflow.case.*``
event but ``fee_requested`` carries :class:`CaseEvent`'s fields. No event carries a staff member's or
applicant's personal data beyond the applicant's subject and the holder's masked name."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field, model_validator

from gov_contracts.base import Contract, Event
from gov_standards.regions import REGION_CODE_PATTERN


class Applicant(Contract):
    subject: str
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = None


class _WorkflowEvent(Event):
    topic: ClassVar[str] = "gov.workflow.cases"
    publisher: ClassVar[str] = "/svc-workflow"
    subject_field: ClassVar[str] = "case_id"


class CaseEvent(_WorkflowEvent):
    """The fields every ``workflow.case.*`` event carries (except ``fee_requested``)."""

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

    type: ClassVar[str] = "workflow.case.accepted"

    accepted_by: str
    deadline: date


class CaseRefused(CaseEvent):
    """``workflow.case.refused`` (不予受理): the case ends."""

    type: ClassVar[str] = "workflow.case.refused"

    reason: str


class MissingMaterial(Contract):
    material: str
    reason: str


class SupplementRequested(CaseEvent):
    """``workflow.case.supplement_requested`` (补正): the clock stops until ``application.supplemented``."""

    type: ClassVar[str] = "workflow.case.supplement_requested"

    missing: tuple[MissingMaterial, ...] = Field(min_length=1)
    note: str


class Holder(Contract):
    id_type: Literal["citizen_id", "credit_code"]
    id_hash: str | None = None
    name: str


class CaseApproved(CaseEvent):
    """``workflow.case.approved``: certificates issues ``result_license_type`` when there is one."""

    type: ClassVar[str] = "workflow.case.approved"

    decided_by: str = Field(description="staff subject, or 'smart-approval rule <id>'")
    opinion: str
    decided_at: AwareDatetime
    result_license_type: str | None
    license_fields: dict[str, Any]
    holder: Holder


class CaseRejected(CaseEvent):
    """``workflow.case.rejected``: the decision refuses the application, with the legal reason."""

    type: ClassVar[str] = "workflow.case.rejected"

    reason: str
    legal_basis: str
    decided_by: str


class CaseCompleted(CaseEvent):
    """``workflow.case.completed`` (办结)."""

    type: ClassVar[str] = "workflow.case.completed"

    completed_at: AwareDatetime
    result: Literal["approved", "rejected"]
    handled_by: tuple[str, ...]


class CaseWithdrawn(CaseEvent):
    """``workflow.case.withdrawn``: the applicant withdrew; the case ends."""

    type: ClassVar[str] = "workflow.case.withdrawn"

    reason: str


class FeeLine(Contract):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    amount_fen: int = Field(gt=0, le=10**11)
    legal_basis: str = Field(default="", max_length=500)


class FeeApplicant(Contract):
    subject: str = Field(min_length=1, max_length=200, description="who applied (for an enterprise: its agent)")
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = Field(
        default=None, min_length=1, max_length=32, description="the credit code: the enterprise's agents may pay"
    )

    @model_validator(mode="after")
    def _enterprise_with_its_kind(self) -> FeeApplicant:
        # Payment opens the order to whoever acts for this enterprise: one without it would belong to nobody.
        if (self.kind == "enterprise") != (self.enterprise is not None):
            raise ValueError("an enterprise applicant names its enterprise (credit code), a citizen none")
        return self


class FeeRequested(_WorkflowEvent):
    """``workflow.case.fee_requested``: the case needs fees paid before it goes on (payment opens an order)."""

    type: ClassVar[str] = "workflow.case.fee_requested"

    case_id: str = Field(min_length=1, max_length=64)
    application_id: str = Field(min_length=1, max_length=64)
    tracking_number: str = Field(min_length=1, max_length=64)
    item_code: str = Field(min_length=1, max_length=64)
    applicant: FeeApplicant
    department: str = Field(min_length=1, max_length=64)
    region: str = Field(pattern=REGION_CODE_PATTERN)
    lines: tuple[FeeLine, ...] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _unique_codes(self) -> FeeRequested:
        if len({line.code for line in self.lines}) != len(self.lines):
            raise ValueError("fee line codes must be unique within a request")
        return self


class SlaEvent(_WorkflowEvent):
    """The fields of both SLA events: the case, where it stands and its deadline."""

    case_id: str
    tracking_number: str
    department: str
    region: str
    deadline: date
    stage: str


class SlaWarning(SlaEvent):
    """``workflow.sla.warning`` (yellow): the configured share of the time limit is used."""

    type: ClassVar[str] = "workflow.sla.warning"


class SlaOverdue(SlaEvent):
    """``workflow.sla.overdue`` (red): the deadline has passed."""

    type: ClassVar[str] = "workflow.sla.overdue"


# Supervision orders (督办), on ``gov.workflow.supervision`` (subject = order id).


class SupervisedCase(Contract):
    """The case an order is about: a case of the provincial workflow (``kind=case``: ``id`` is its case id),
    or one a city platform or department system pushed through exchange (``kind=external_case``: ``id`` is
    exchange's record id, ``source`` the pushing system's identifier, ``external_id`` its own case id)."""

    kind: Literal["case", "external_case"]
    id: str = Field(min_length=1, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=100)
    item_code: str = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=100)


class _SupervisionEvent(Event):
    topic: ClassVar[str] = "gov.workflow.supervision"
    publisher: ClassVar[str] = "/svc-workflow"
    subject_field: ClassVar[str] = "order_id"


class SupervisionOrderEvent(_SupervisionEvent):
    """The fields every ``workflow.supervision.*`` event carries: the order, whom it orders and where."""

    order_id: str
    target: Literal["case", "external_case", "department"]
    case: SupervisedCase | None = Field(description="the case ordered on; null for an order on a department")
    department: str = Field(description="credit code of the ordered department")
    region: str = Field(pattern=REGION_CODE_PATTERN, description="the ordered department's (or case's) region")
    deadline: date = Field(description="the reply is due by the end of this day (China time)")
    occurred_at: AwareDatetime


class SupervisionOrderIssued(SupervisionOrderEvent):
    """``workflow.supervision.order_issued``: a supervisor ordered the department to act and reply."""

    type: ClassVar[str] = "workflow.supervision.order_issued"

    reason: str
    working_days: int = Field(ge=1)
    issued_by: str = Field(description="the supervisor's subject")
    issuer_region: str = Field(pattern=REGION_CODE_PATTERN)


class SupervisionOrderReplied(SupervisionOrderEvent):
    """``workflow.supervision.order_replied``: the department replied (``late``: after the deadline)."""

    type: ClassVar[str] = "workflow.supervision.order_replied"

    reply: str
    replied_by: str
    late: bool


class SupervisionOrderEscalated(SupervisionOrderEvent):
    """``workflow.supervision.order_escalated``: unanswered past its deadline, the order went one level up the
    region tree (``to_region``'s supervisors now hold it); ``deadline`` is the new one."""

    type: ClassVar[str] = "workflow.supervision.order_escalated"

    from_region: str = Field(pattern=REGION_CODE_PATTERN)
    to_region: str = Field(pattern=REGION_CODE_PATTERN)
    escalations: int = Field(ge=1, description="how many times the order has been escalated, this one included")
