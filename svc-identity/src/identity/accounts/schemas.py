from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime

USERNAME = r"^[a-z0-9][a-z0-9_.-]{2,63}$"


class CitizenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        pattern=USERNAME, description="sign-in name (lower case); the ID number and mobile number also sign in"
    )
    real_name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=32, description="GB 11643 citizen ID number")
    phone: str = Field(min_length=1, max_length=20, description="mainland mobile number")
    password: str = Field(min_length=1, max_length=200)


class AccountRead(BaseModel):
    id: uuid.UUID
    kind: str
    username: str
    real_name: str
    id_number_masked: str | None
    phone_masked: str | None
    assurance_level: int
    region: str | None
    department: str | None
    roles: list[str]
    totp_enrolled: bool
    created_at: AwareDateTime


class RegistrationAccepted(BaseModel):
    """The same answer whether or not the ID number already had an account (no enumeration)."""

    status: str = "accepted"
    detail: str = "check your mobile phone: a text message tells you what happens next"


class PhoneChangeStart(BaseModel):
    """A new recovery mobile number, with proof that the account's owner is there: the current password
    (or, for staff who signed in recently, a TOTP code)."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=20, description="the new mainland mobile number")
    current_password: str | None = Field(default=None, max_length=200)
    totp_code: str | None = Field(default=None, pattern=r"^\d{6}$", description="staff only")


class PhoneChangeStarted(BaseModel):
    id: str = Field(description="confirm with the code sent to the new number")
    phone_masked: str
    expires_at: AwareDateTime


class PhoneChangeConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\d{6}$")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class SessionRead(BaseModel):
    id: uuid.UUID
    created_at: AwareDateTime
    last_seen_at: AwareDateTime
    expires_at: AwareDateTime
    user_agent: str | None
    methods: list[str]


class SessionPage(BaseModel):
    items: list[SessionRead]
    next_cursor: str | None = None
