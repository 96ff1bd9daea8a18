"""Bodies of the case notices API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from gov_common.http import AwareDateTime


class NoticeRead(BaseModel):
    id: str
    number: str = Field(description="printed on the notice and in its QR code: GET /v1/verify/{number}")
    kind: Literal["acceptance", "refusal", "supplement"]
    title: str
    case_id: str
    application_id: str
    tracking_number: str
    department: dict[str, str]
    issued_at: AwareDateTime
    facts: dict[str, Any] = Field(description="accepted_on and deadline; reason; or missing materials and note")
    kid: str = Field(description="the seal key (GET /v1/issuers/{department} lists its SM2 public key)")
    signature: str = Field(description="SM2 over SM3 of the canonical notice document, hex DER")
    verify_url: str
