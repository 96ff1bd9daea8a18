"""Events svc-certificates publishes on ``gov.certificates.licenses`` (subject = license id). No event carries
a holder's identifier or full name: ``holder.subject`` is the identity account (null for an enterprise's
license), ``name_masked`` keeps the first and last characters. ``region`` is the issuing case's: whoever
passes licenses on to a region's systems filters by it."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field

from gov_contracts.base import Contract, Event


class Holder(Contract):
    subject: str | None
    name_masked: str


class Issuer(Contract):
    code: str = Field(description="issuing department's unified social credit code")
    name: str


class _LicenseEvent(Event):
    topic: ClassVar[str] = "gov.certificates.licenses"
    publisher: ClassVar[str] = "/svc-certificates"
    subject_field: ClassVar[str] = "license_id"


class LicenseIssued(_LicenseEvent):
    """``certificates.license.issued``: a license (or a new version of one) was issued and sealed."""

    type: ClassVar[str] = "certificates.license.issued"

    license_id: str
    identifier: str = Field(description="national format 1.2.156.3005.2.<type>.<issuer>.<serial>.<ver>.<check>")
    type_code: str
    type_name: str
    holder: Holder
    issuer: Issuer
    region: str = Field(description="the issuing case's region (GB/T 2260), the only region that may see it")
    valid_from: date
    valid_until: date | None
    case_id: str | None
    version: int = Field(ge=1)


class LicenseRevoked(_LicenseEvent):
    """``certificates.license.revoked``: the issuing department revoked the license (renewal included)."""

    type: ClassVar[str] = "certificates.license.revoked"

    license_id: str
    reason: str
    revoked_at: AwareDatetime
    region: str = Field(description="the license's region, as in certificates.license.issued")
