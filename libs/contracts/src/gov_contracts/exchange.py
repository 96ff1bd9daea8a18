"""Events svc-exchange publishes on ``gov.exchange.cases`` (subject = the province-side case record id) and
``gov.exchange.hotline`` (subject = the 12345 work order id). No personal data: the applicant is not in the
event, nor a hotline caller."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from gov_contracts.base import Contract, Event

CaseStatus = Literal[
    "received", "accepted", "refused", "supplement_requested", "approved", "rejected", "completed", "withdrawn"
]


class StatusChange(Contract):
    """One state change of a pushed case, as the source system reports it."""

    status: CaseStatus
    at: AwareDatetime


class CaseSynced(Event):
    """``exchange.case.synced``: a case handled outside the provincial workflow (pushed by a city platform,
    or imported from a legacy system) was recorded or changed status here, so that statistics and
    supervision see every case of the province."""

    topic: ClassVar[str] = "gov.exchange.cases"
    type: ClassVar[str] = "exchange.case.synced"
    publisher: ClassVar[str] = "/svc-exchange"
    subject_field: ClassVar[str] = "record_id"

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
    status_at: AwareDatetime
    received_at: AwareDatetime
    change: Literal["created", "status_changed"]
    flags: tuple[str, ...] = Field(default=(), description="e.g. legacy identifiers failing today's check")
    accepted_at: AwareDatetime | None = Field(default=None, description="when the source system accepted it (受理)")
    deadline: date | None = Field(default=None, description="the promised deadline (China date), as the source says")
    changes: tuple[StatusChange, ...] = Field(
        default=(), description="the state changes this push reported, oldest first (the last is `status`)"
    )


class HotlineReplyReceived(Event):
    """``exchange.hotline.reply_received`` on ``gov.exchange.hotline`` (subject = the work order id): the city
    platform a 12345 work order was forwarded to (``hotline.order.forwarded``) answered it, closed it
    (after its own callback) or returned it, in a signed call to exchange's inbound API; or exchange
    returned it itself because no active city platform of ``city`` takes forwarded orders (``system`` is
    then None). svc-hotline applies it to the order (state, answer, trace)."""

    topic: ClassVar[str] = "gov.exchange.hotline"
    type: ClassVar[str] = "exchange.hotline.reply_received"
    publisher: ClassVar[str] = "/svc-exchange"
    subject_field: ClassVar[str] = "order_id"

    order_id: str
    number: str
    city: str = Field(description="the city's region code the order was forwarded to")
    system: str | None = Field(description="identifier of the answering city platform; None: returned by exchange")
    reply_id: str = Field(description="the city's message id (its webhook-id header), or exchange's own")
    outcome: Literal["answered", "closed", "returned"]
    answer: str | None = Field(default=None, max_length=4000, description="the city's answer (answered, closed)")
    reason: str | None = Field(default=None, max_length=500, description="why it was returned")
    replied_at: AwareDatetime
