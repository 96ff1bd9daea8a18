from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gov_common.http import AwareDateTime
from gov_standards.identifiers import InvalidIdentifier, parse_credit_code
from identity.accounts.schemas import USERNAME, AccountRead


class RegionRead(BaseModel):
    code: str
    name: str
    parent: str | None


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d{6}$")
    name: str = Field(min_length=1, max_length=100)


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=18, max_length=18, description="unified social credit code (GB 32100)")
    region: str = Field(pattern=r"^\d{6}$")
    parent_id: uuid.UUID | None = None

    @field_validator("code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        try:
            return parse_credit_code(value)
        except InvalidIdentifier as exc:
            raise ValueError(f"not a valid unified social credit code ({exc})") from exc


class DepartmentRead(BaseModel):
    id: uuid.UUID
    code: str | None
    name: str
    region: str
    parent_id: uuid.UUID | None
    created_at: AwareDateTime


class DepartmentPage(BaseModel):
    items: list[DepartmentRead]
    next_cursor: str | None = None


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=USERNAME)
    real_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    region: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID
    roles: list[str] = Field(default_factory=list, max_length=20)


class StaffCreated(AccountRead):
    """Handed over once: the initial password and the TOTP enrolment URI are not stored in clear."""

    initial_password: str
    totp_provisioning_uri: str


class RolesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] = Field(max_length=20)


class TotpEnrolment(BaseModel):
    totp_provisioning_uri: str


class StaffPage(BaseModel):
    items: list[AccountRead]
    next_cursor: str | None = None


class StaffName(BaseModel):
    """What a colleague may know of a staff member named in a case's trace: name, department, region."""

    id: uuid.UUID
    name: str
    department: str | None = Field(description="the department's unified social credit code")
    region: str | None


class StaffDirectory(BaseModel):
    items: list[StaffName] = Field(
        description="the ids asked for that are staff of your region's branch; others are left out"
    )
    next_cursor: str | None = Field(default=None, description="always null: the whole answer")
