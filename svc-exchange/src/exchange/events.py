"""Events svc-exchange publishes: the schema other services code against.

Topic ``gov.exchange.cases`` (key = subject = the province-side case record id). ``exchange.case.synced``
says that a case handled outside the provincial workflow (pushed by a city platform, or imported from a
legacy system) was created or changed its status here, so that statistics and supervision see every
case of the province. No personal data: the applicant is not in the event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TOPIC_CASES = "gov.exchange.cases"
SOURCE = "/svc-exchange"
CASE_SYNCED = "exchange.case.synced"

CaseStatus = Literal[
    "received", "accepted", "refused", "supplement_requested", "approved", "rejected", "completed", "withdrawn"
]


class CaseSynced(BaseModel):
    """``exchange.case.synced``: a city-platform or legacy case was recorded or changed status."""

    model_config = ConfigDict(extra="forbid")
    record_id: str = Field(description="id of the case record in svc-exchange (also the event subject)")
    origin: Literal["city_platform", "department", "legacy_import"]
    source: str = Field(description="identifier of the pushing system, or 'legacy-import'")
    external_id: str = Field(description="the case id in the source system")
    tracking_number: str | None
    item_code: str
    item_name: str | None
    region: str
    department: str | None
    status: CaseStatus
    status_at: datetime
    received_at: datetime
    change: Literal["created", "status_changed"]
    flags: list[str] = Field(default_factory=list, description="e.g. legacy identifiers failing today's check")


SCHEMAS: dict[str, type[BaseModel]] = {CASE_SYNCED: CaseSynced}


def payload(event_type: str, **data: Any) -> dict[str, Any]:
    """The JSON ``data`` of an event, validated against its documented schema before it is staged."""
    return SCHEMAS[event_type].model_validate(data).model_dump(mode="json")
