"""The national element standard of a service item (GB/T 39554.1) as an editor writes it.

Each model is the contract's (``gov_contracts.catalog``: what ``catalog.item.published`` carries) plus
catalog's authoring rules (code checks, shares adding up to 100...), so the fields are declared once; a
field is declared again here only where authoring bounds it more or describes it for editors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gov_common.http import AwareDateTime
from gov_contracts import catalog as contract
from gov_standards.identifiers import is_credit_code as is_valid_credit_code
from gov_standards.items import ITEM_TYPES
from gov_standards.regions import is_guangxi_region

LIFE_EVENTS = (
    "出生",
    "上学",
    "就业",
    "婚姻",
    "生育",
    "户籍",
    "住房",
    "出行",
    "就医",
    "社会保障",
    "退休",
    "身后事",
    "开办企业",
    "经营许可",
    "工程建设",
    "交通运输",
    "企业注销",
)
# Online handling stages (DOMAIN.md): 1 consultation, 2 receipt, 3 pre-review, 4 acceptance, 5 handling,
# 6 result feedback, 7 e-license feedback.
FULL_ONLINE_STAGES = frozenset({1, 2, 3, 4, 5, 6})
ServiceObject = contract.ServiceObject


class Strict(BaseModel):
    # Named after the contract among a model's bases, so this config is added to the contract's (frozen).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Department(contract.Department, Strict):
    @field_validator("code")
    @classmethod
    def _credit_code(cls, v: str) -> str:
        if not is_valid_credit_code(v):
            raise ValueError("not a valid unified social credit code (GB 32100 check character)")
        return v


class TimeLimit(contract.TimeLimit, Strict):
    @model_validator(mode="after")
    def _promised_within_statutory(self) -> TimeLimit:
        if self.promised_days > self.statutory_days:
            raise ValueError("the promised time limit may not exceed the statutory one")
        return self


class Fee(contract.Fee, Strict):
    @model_validator(mode="after")
    def _amount_or_formula(self) -> Fee:
        if (self.amount_fen is None) == (self.formula is None):
            raise ValueError("a fee has either amount_fen or formula, not both and not neither")
        return self


class Material(contract.Material, Strict):
    pass


class ProcessStep(contract.ProcessStep, Strict):
    pass


class ProcessTemplate(contract.ProcessTemplate, Strict):
    steps: tuple[ProcessStep, ...] = Field(min_length=1)
    countersign_departments: tuple[Department, ...] = Field(default_factory=tuple)

    @model_validator(mode="after")
    def _shares(self) -> ProcessTemplate:
        if sum(s.share_percent for s in self.steps) != 100:
            raise ValueError("the steps' shares of the time limit must add up to 100")
        if self.steps[0].kind != "accept":
            raise ValueError("a process starts with an accept step")
        return self


class Contact(contract.Contact, Strict):
    pass


class CrossRegionAcceptance(contract.CrossRegionAcceptance, Strict):
    @field_validator("regions")
    @classmethod
    def _regions(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [r for r in v if not is_guangxi_region(r)]
        if wrong:
            raise ValueError(f"not Guangxi GB/T 2260 region codes (45xxxx): {wrong}")
        return v


class ItemDefinition(contract.ItemDefinition, Strict):
    """Everything a region publishes about one service item."""

    item_type: str = Field(
        description="national item type code: " + ", ".join(f"{k} {v}" for k, v in ITEM_TYPES.items())
    )
    region: str = Field(description="GB/T 2260 code of the implementing region (45xxxx)")
    department: Department
    keywords: tuple[str, ...] = Field(default_factory=tuple, max_length=20)
    life_events: tuple[str, ...] = Field(default_factory=tuple, max_length=10)
    time_limit: TimeLimit
    fees: tuple[Fee, ...] = Field(default_factory=tuple)
    materials: tuple[Material, ...] = Field(default_factory=tuple)
    process: ProcessTemplate
    contact: Contact
    result_license_type: str | None = Field(
        default=None,
        max_length=50,
        description="e-license type issued when a case of this item is approved (svc-certificates issues it)",
    )
    smart_approval: bool = Field(
        default=False, description="智能审批: the workflow may decide a case by its rules, a person can take it back"
    )
    cross_region_acceptance: CrossRegionAcceptance | None = Field(
        default=None,
        description="异地代收、全省通办: windows of the listed regions (none listed: every region of the province) "
        "accept it on the department's behalf; the department decides, the result goes back by pickup or mail",
    )

    @field_validator("item_type")
    @classmethod
    def _item_type(cls, v: str) -> str:
        if v not in ITEM_TYPES:
            raise ValueError(f"unknown item type code {v!r}")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not is_guangxi_region(v):
            raise ValueError("not a Guangxi GB/T 2260 region code (45xxxx)")
        return v

    @field_validator("life_events")
    @classmethod
    def _life_events(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [e for e in v if e not in LIFE_EVENTS]
        if unknown:
            raise ValueError(f"unknown life events {unknown}; known: {', '.join(LIFE_EVENTS)}")
        return v

    @field_validator("online_stages")
    @classmethod
    def _stages(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(s < 1 or s > 7 for s in v):
            raise ValueError("online stages are numbers 1 to 7")
        return tuple(sorted(set(v)))

    @field_validator("form_schema")
    @classmethod
    def _form_schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        check_form_schema(v)
        return v

    @model_validator(mode="after")
    def _consistency(self) -> ItemDefinition:
        if self.onsite_visits == 0 and not set(self.online_stages) >= FULL_ONLINE_STAGES:
            raise ValueError("0 on-site visits needs stages 1-6 online (全程网办)")
        if self.onsite_visits > 0 and not self.onsite_reason:
            raise ValueError("on-site visits need a reason (onsite_reason)")
        names = [m.name for m in self.materials]
        if len(names) != len(set(names)):
            raise ValueError("material names must be unique within an item")
        return self

    @property
    def fully_online(self) -> bool:
        return self.onsite_visits == 0 and set(self.online_stages) >= FULL_ONLINE_STAGES

    @property
    def online_level(self) -> str:
        return online_level(self.online_stages, self.onsite_visits)


def online_level(stages: Iterable[int], visits: int) -> str:
    """Levels I-IV of online handling depth; IV (全程网办) requires 0 visits."""
    s = set(stages)
    if visits == 0 and s >= FULL_ONLINE_STAGES:
        return "IV"
    if {4, 5} <= s:
        return "III"
    if {2, 3} <= s:
        return "II"
    return "I"


def check_form_schema(schema: dict[str, Any]) -> None:
    """Raise ``ValueError`` unless ``schema`` is a valid JSON Schema (2020-12) for an object."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"form_schema is not a valid JSON Schema: {exc.message}") from exc
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ValueError("form_schema must describe an object with properties")


class ItemCreate(BaseModel):
    """A new item (version 1, draft). ``inherits`` names the published item of a higher region that this
    implementation list entry inherits; required for every region below the province."""

    model_config = ConfigDict(extra="forbid")
    inherits: str | None = Field(default=None, description="implementation code of the inherited item")
    definition: ItemDefinition


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: ItemDefinition


class ItemRead(BaseModel):
    implementation_code: str
    version: int
    status: Literal["draft", "submitted", "published", "withdrawn"]
    current: bool = Field(description="the version citizens see now")
    inherits: str | None
    online_level: str
    fully_online: bool
    created_at: AwareDateTime
    submitted_at: AwareDateTime | None
    published_at: AwareDateTime | None
    withdrawn_at: AwareDateTime | None
    definition: ItemDefinition


class StoredItemRead(ItemRead):
    """An :class:`ItemRead` made from a stored version: its definition as stored, which is the validated
    definition's ``model_dump(mode="json")`` (checked when written, frozen once submitted), so reading it
    validates nothing again and serialises to the same JSON."""

    definition: dict[str, Any]  # type: ignore[assignment]


class FormValidationRead(BaseModel):
    """Form data that fits the item's current form schema (data that does not is a 422 naming each field)."""

    valid: Literal[True]
    version: int = Field(description="the item version whose form schema was used")


class ItemSummary(BaseModel):
    implementation_code: str
    version: int
    name: str
    item_type: str
    region: str
    department: Department
    service_object: ServiceObject
    fully_online: bool
    online_level: str
    promised_days: int
    score: int | None = Field(default=None, description="search relevance, when searching")
