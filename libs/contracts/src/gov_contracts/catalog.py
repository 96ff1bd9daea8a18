"""Events svc-catalog publishes on ``gov.catalog.items`` (subject = the item's implementation code (实施编码)
or the bundle's code). A ``*.published`` event carries the whole published definition, so that consumers
keep their own copy (workflow: time limits and process; application: form and materials; payment: fees;
certificates: the licence it produces; evaluation and exchange: the department); a later version of the same
code replaces it. The shapes are the national element standard (GB/T 39554.1) as catalog publishes it;
catalog's own authoring rules (code checks, shares adding up to 100...) are checked before publishing.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field

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
