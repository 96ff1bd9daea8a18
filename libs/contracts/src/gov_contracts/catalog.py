"""Events svc-catalog publishes on ``gov.catalog.items`` (subject = the item's implementation code (实施编码)
or the bundle's code). A ``*.published`` event carries the whole published definition, so that consumers
keep their own copy (workflow: time limits and process; application: form and materials; payment: fees;
certificates: the licence it produces; evaluation and exchange: the department); a later version of the same
code replaces it. The shapes are the national element standard (GB/T 39554.1) as catalog publishes it;
catalog's own authoring rules (code checks, shares adding up to 100...) are checked before publishing.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field, model_validator

from gov_contracts.base import Contract, Event

ServiceObject = Literal["citizen", "enterprise", "both"]
StepKind = Literal["accept", "review", "decide", "countersign", "deliver"]


class Department(Contract):
    code: str = Field(description="unified social credit code of the implementing department (GB 32100)")
    name: str = Field(min_length=2, max_length=100)


class TimeLimit(Contract):
    statutory_days: int = Field(ge=0, le=365, description="法定时限; 0 = decided on the spot (即办)")
    promised_days: int = Field(ge=0, le=365, description="承诺时限; never more than the statutory one")
    unit: Literal["working_day"] = "working_day"


class Fee(Contract):
    name: str = Field(min_length=2, max_length=100)
    legal_basis: str = Field(min_length=4, max_length=500)
    amount_fen: int | None = Field(default=None, ge=0, description="fixed amount in fen")
    formula: str | None = Field(default=None, max_length=500, description="how the amount is computed")


class Material(Contract):
    name: str = Field(min_length=2, max_length=200)
    required: bool = True
    original_or_copy: Literal["original", "copy", "original_and_copy"] = "original"
    count: int = Field(default=1, ge=1, le=50)
    form: Literal["paper", "electronic", "paper_or_electronic"] = "paper_or_electronic"
    license_type: str | None = Field(default=None, max_length=50, description="e-license type that replaces it")
    note: str | None = Field(default=None, max_length=500)


class ProcessStep(Contract):
    kind: StepKind
    name: str = Field(min_length=2, max_length=50)
    role: str = Field(min_length=2, max_length=50, description="the staff role that acts")
    share_percent: int = Field(ge=0, le=100, description="share of the promised time limit")


class ProcessTemplate(Contract):
    steps: tuple[ProcessStep, ...] = Field(min_length=1)
    countersign_departments: tuple[Department, ...] = ()


RuleOperator = Literal["equals", "not_equals", "in", "at_least", "at_most", "present"]
RuleValue = str | int | float | bool


class RuleCondition(Contract):
    """One condition of an item's smart-approval rule: either on a form field (``field``, ``op`` and, but for
    ``present``, ``value``: a list for ``in``, a number for ``at_least``/``at_most``) or on an e-licence the
    applicant holds and reused for the application (``license_type``, one the item's materials accept)."""

    field: str | None = Field(default=None, min_length=1, max_length=100, description="a property of the form")
    op: RuleOperator | None = None
    value: RuleValue | tuple[RuleValue, ...] | None = None
    license_type: str | None = Field(default=None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_kind(self) -> RuleCondition:
        if (self.field is None) == (self.license_type is None):
            raise ValueError("a condition names either a form field or a licence type")
        if self.license_type is not None:
            if self.op is not None or self.value is not None:
                raise ValueError("a licence condition takes no op or value")
            return self
        if self.op is None:
            raise ValueError("a form-field condition needs op")
        if self.op == "present":
            if self.value is not None:
                raise ValueError("present takes no value")
        elif self.op == "in":
            if not isinstance(self.value, tuple) or not self.value:
                raise ValueError("in takes a non-empty list of values")
        elif self.op in ("at_least", "at_most"):
            if isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise ValueError(f"{self.op} takes a number")
        elif self.value is None or isinstance(self.value, tuple):
            raise ValueError(f"{self.op} takes one value")
        return self


class SmartApprovalRule(Contract):
    """An item's smart-approval rule (智能审批), set by the catalog publisher: a case is decided by it when
    every condition holds. ``id`` and ``version`` name it in the case's trace."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: int = Field(ge=1, le=10**6)
    all_of: tuple[RuleCondition, ...] = Field(min_length=1, max_length=30)


class CrossRegionAcceptance(Contract):
    """异地代收、全省通办: windows of other regions may accept (收件) the item on its department's behalf; the
    department still decides, and the result goes back to the accepting window or by post."""

    regions: tuple[str, ...] = Field(
        default=(),
        max_length=200,
        description="GB/T 2260 codes whose windows (their subtrees too) may accept it; empty: every region of "
        "the province (全省通办)",
    )


class Contact(Contract):
    consultation_phone: str = Field(min_length=3, max_length=50)
    complaint_phone: str = Field(min_length=3, max_length=50)
    address: str | None = Field(default=None, max_length=200)


class ItemDefinition(Contract):
    """Everything a region publishes about one service item."""

    basic_code: str = Field(pattern=r"^\d{12}$", description="基本编码 of the catalog entry")
    name: str = Field(min_length=2, max_length=100)
    item_type: str = Field(description="national item type code (01 行政许可 ... 20 公共服务)")
    legal_basis: tuple[str, ...] = Field(min_length=1, max_length=20)
    region: str = Field(description="GB/T 2260 code of the implementing region")
    department: Department
    service_object: ServiceObject
    keywords: tuple[str, ...] = ()
    life_events: tuple[str, ...] = ()
    time_limit: TimeLimit
    fees: tuple[Fee, ...] = ()
    materials: tuple[Material, ...] = ()
    form_schema: dict[str, Any] = Field(description="application form as JSON Schema (draft 2020-12), type object")
    process: ProcessTemplate
    onsite_visits: int = Field(ge=0, le=5, description="到现场次数; 0 = fully online")
    onsite_reason: str | None = Field(default=None, max_length=300)
    online_stages: tuple[int, ...] = Field(description="online handling depth: stages 1-7 reachable online")
    delivery: tuple[Literal["pickup", "mail", "electronic"], ...] = Field(min_length=1)
    appointment: bool = False
    contact: Contact
    result_license_type: str | None = Field(
        default=None, max_length=50, description="e-license type issued when a case of this item is approved"
    )
    smart_approval: bool = Field(default=False, description="智能审批: the workflow may decide a case by its rules")
    smart_approval_rule: SmartApprovalRule | None = Field(
        default=None, description="the item's own rule (with smart_approval); none: the platform's two fixed rules"
    )
    cross_region_acceptance: CrossRegionAcceptance | None = Field(
        default=None,
        description="异地代收: other regions' windows may accept it for the department; none: they may not",
    )


class BundleItem(Contract):
    implementation_code: str
    version: int
    name: str
    department_name: str
    promised_days: int


class MaterialUse(Contract):
    implementation_code: str
    name: str = Field(description="the material's name in that item")


class MergedMaterial(Material):
    used_by: tuple[str, ...] = Field(description="implementation codes of the items that need it")
    satisfies: tuple[MaterialUse, ...] = Field(
        default=(), description="each item's material this one document stands for (its name there)"
    )


class BundleDefinition(Contract):
    """What a published bundle carries: its items (pinned versions), merged materials and merged form."""

    code: str
    name: str
    region: str
    life_event: str
    description: str
    items: tuple[BundleItem, ...]
    materials: tuple[MergedMaterial, ...]
    form_schema: dict[str, Any]
    promised_days: int = Field(description="the longest promised time of its items (handled in parallel)")
    fully_online: bool


class _ItemEvent(Event):
    topic: ClassVar[str] = "gov.catalog.items"
    publisher: ClassVar[str] = "/svc-catalog"
    subject_field: ClassVar[str] = "implementation_code"


class _BundleEvent(Event):
    topic: ClassVar[str] = "gov.catalog.items"
    publisher: ClassVar[str] = "/svc-catalog"
    subject_field: ClassVar[str] = "code"


class ItemPublished(_ItemEvent):
    """``catalog.item.published``: a version became the current one of its implementation code."""

    type: ClassVar[str] = "catalog.item.published"

    implementation_code: str
    version: int = Field(ge=1)
    inherits: str | None = Field(description="implementation code of the higher-region item it implements")
    online_level: str = Field(pattern="^(I|II|III|IV)$")
    fully_online: bool
    published_at: AwareDatetime
    definition: ItemDefinition


class ItemWithdrawn(_ItemEvent):
    """``catalog.item.withdrawn``: the code has no current version any more; stop accepting it."""

    type: ClassVar[str] = "catalog.item.withdrawn"

    implementation_code: str
    version: int = Field(ge=1)
    region: str
    withdrawn_at: AwareDatetime


class BundlePublished(_BundleEvent):
    """``catalog.bundle.published``: a one-thing bundle (一件事) version became current."""

    type: ClassVar[str] = "catalog.bundle.published"

    code: str
    version: int = Field(ge=1)
    published_at: AwareDatetime
    definition: BundleDefinition


class BundleWithdrawn(_BundleEvent):
    """``catalog.bundle.withdrawn``: the bundle is no longer offered."""

    type: ClassVar[str] = "catalog.bundle.withdrawn"

    code: str
    version: int = Field(ge=1)
    region: str
    withdrawn_at: AwareDatetime
