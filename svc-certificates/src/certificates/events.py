"""Events svc-certificates publishes: the schema other services code against.

Topic ``gov.certificates.licenses``, keyed by license id. No event carries a holder's identifier or
full name: ``holder.subject`` is the identity account (null for an enterprise's license),
``name_masked`` keeps the first and last characters (an enterprise's long name its first and last four).
``region`` is the issuing case's: whoever passes licenses on to a region's systems filters by it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TOPIC = "gov.certificates.licenses"
SOURCE = "/svc-certificates"
LICENSE_ISSUED = "certificates.license.issued"
LICENSE_REVOKED = "certificates.license.revoked"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventHolder(Strict):
    subject: str | None
    name_masked: str


class EventIssuer(Strict):
    code: str = Field(description="issuing department's unified social credit code")
    name: str


class LicenseIssued(Strict):
    """``certificates.license.issued``: a license (or a new version of one) was issued and sealed."""

    license_id: str
    identifier: str = Field(description="national format 1.2.156.3005.2.<type>.<issuer>.<serial>.<ver>.<check>")
    type_code: str
    type_name: str
    holder: EventHolder
    issuer: EventIssuer
    region: str = Field(description="the issuing case's region (GB/T 2260), the only region that may see it")
    valid_from: date
    valid_until: date | None
    case_id: str | None
    version: int = Field(ge=1)


class LicenseRevoked(Strict):
    """``certificates.license.revoked``: the issuing department revoked the license (renewal included)."""

    license_id: str
    reason: str
    revoked_at: datetime
    region: str = Field(description="the license's region, as in certificates.license.issued")


SCHEMAS: dict[str, type[BaseModel]] = {LICENSE_ISSUED: LicenseIssued, LICENSE_REVOKED: LicenseRevoked}


def payload(event_type: str, **data: Any) -> dict[str, Any]:
    """The JSON ``data`` of an event, validated against its documented schema before it is staged."""
    return SCHEMAS[event_type].model_validate(data).model_dump(mode="json")
