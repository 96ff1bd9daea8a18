"""Rows of a legacy import and its report; legacy identifiers failing today's check characters are
flagged, not refused."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from exchange.fields import GuangxiRegion, IsoWithOffset
from gov_contracts.exchange import CaseStatus
from gov_standards.identifiers import is_credit_code, is_credit_code_shaped, is_id_number

IdType = Literal["citizen_id", "credit_code"]


def _holder_flag(id_type: str, value: str, field: str) -> list[str]:
    ok = is_id_number(value) if id_type == "citizen_id" else is_credit_code(value)
    return [] if ok else [f"{field}_check_failed"]


def _id_shape(id_type: str, value: str) -> str:
    value = value.strip().upper()
    if id_type == "citizen_id" and not (len(value) == 18 and value[:17].isdigit()):
        raise ValueError("a citizen ID number has 17 digits and a check character")
    if id_type == "credit_code" and not is_credit_code_shaped(value):
        raise ValueError("a credit code has 18 characters of its alphabet")
    return value


class LegacyCase(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    legacy_id: str = Field(min_length=1, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    item_code: str = Field(min_length=1, max_length=200)
    item_name: str | None = Field(default=None, max_length=300)
    region: GuangxiRegion
    department: str
    applicant_id_type: IdType
    applicant_id: str
    status: CaseStatus
    received_at: IsoWithOffset
    status_at: IsoWithOffset | None = None

    @field_validator("department")
    @classmethod
    def _dept(cls, value: str) -> str:
        return _id_shape("credit_code", value)

    def flags(self) -> list[str]:
        flags = [] if is_credit_code(self.department) else ["department_check_failed"]
        return flags + _holder_flag(
            self.applicant_id_type, _id_shape(self.applicant_id_type, self.applicant_id), "applicant_id"
        )


class LegacyLicenseRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    legacy_id: str = Field(min_length=1, max_length=100)
    number: str = Field(min_length=1, max_length=100)
    type_code: str = Field(min_length=1, max_length=50)
    type_name: str = Field(min_length=1, max_length=200)
    issuer_code: str
    holder_id_type: IdType
    holder_id: str
    issued_on: date

    @field_validator("issuer_code")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return _id_shape("credit_code", value)

    def flags(self) -> list[str]:
        flags = [] if is_credit_code(self.issuer_code) else ["issuer_code_check_failed"]
        return flags + _holder_flag(self.holder_id_type, _id_shape(self.holder_id_type, self.holder_id), "holder_id")


class RowProblem(BaseModel):
    row: int = Field(description="1-based position of the record in the file (CSV: data rows after the header)")
    legacy_id: str | None
    errors: list[dict[str, str]] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)


class ImportReport(BaseModel):
    kind: str
    rows: int
    created: int
    unchanged: int
    updated: int
    errors: list[RowProblem]
    flagged: list[RowProblem]
