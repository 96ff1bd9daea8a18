"""Events svc-application publishes on ``gov.application.applications`` (subject = application id), on
``gov.application.bundles`` (subject = bundle application id: one-thing applications, 一件事一次办) and on
``gov.application.appointments`` (subject = appointment id: hall appointments, 预约)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field

from gov_contracts.base import Contract, Event


class ItemRef(Contract):
    implementation_code: str
    version: int = Field(ge=1, description="the item version the application was made against")
    name: str


class DepartmentRef(Contract):
    code: str = Field(description="unified social credit code of the implementing department")
    name: str


class Applicant(Contract):
    subject: str | None = Field(description="account id; null for a hall case of a person without an account")
    kind: Literal["citizen", "enterprise"]
    enterprise: str | None = Field(description="credit code when an enterprise applies")
    agent: str | None = Field(description="the agent's account id when an agent acts for the enterprise")
    name_masked: str
    id_tail: str = Field(min_length=4, max_length=4, description="last 4 characters of ID number / credit code")


class Acceptance(Contract):
    """异地代收: the window that accepted (收件) the application on the owning department's behalf."""

    region: str = Field(description="GB/T 2260 code of the accepting window's region")
    department: str = Field(description="credit code of the accepting department (the hall's)")
    acceptor: str = Field(description="account id of the accepting staff member")
    hall_id: str | None = Field(default=None, description="application's hall where it was accepted, if named")


class MaterialRef(Contract):
    name: str
    source: Literal["upload", "license"]
    sha256: str | None = Field(pattern="^[0-9a-f]{64}$")
    license_id: str | None
    license_type: str | None
    verified: bool


class _ApplicationEvent(Event):
    topic: ClassVar[str] = "gov.application.applications"
    publisher: ClassVar[str] = "/svc-application"
    subject_field: ClassVar[str] = "application_id"


class ApplicationSubmitted(_ApplicationEvent):
    """``application.submitted``: a complete application waits for acceptance by the department."""

    type: ClassVar[str] = "application.submitted"

    application_id: str
    tracking_number: str = Field(pattern=r"^\d{6}\d{8}\d{6}$")
    submitted_at: AwareDatetime
    channel: Literal["online", "hall"]
    item: ItemRef
    bundle_code: str | None = None
    bundle_id: str | None = Field(
        default=None, description="the bundle application (一件事) this application is one part of, if any"
    )
    region: str
    department: DepartmentRef
    applicant: Applicant
    form: dict[str, Any]
    materials: tuple[MaterialRef, ...]
    accepted_for: Acceptance | None = Field(
        default=None,
        description="异地代收: accepted by a window of another region on the department's behalf (null: not)",
    )


class ApplicationSupplemented(_ApplicationEvent):
    """``application.supplemented``: the applicant answered a supplement request (补正) and resubmitted."""

    type: ClassVar[str] = "application.supplemented"

    application_id: str
    tracking_number: str
    case_id: str
    supplemented_at: AwareDatetime
    materials: tuple[MaterialRef, ...]
    form: dict[str, Any] | None


class ApplicationWithdrawn(_ApplicationEvent):
    """``application.withdrawn``: the applicant withdrew before a decision."""

    type: ClassVar[str] = "application.withdrawn"

    application_id: str
    tracking_number: str
    case_id: str | None
    withdrawn_at: AwareDatetime
    reason: str


class BundlePart(Contract):
    application_id: str
    tracking_number: str | None = Field(description="null until the part is submitted")
    item: ItemRef
    department: DepartmentRef
    region: str
    status: str = Field(description="the part's application status (draft, submitted, accepted, ... completed)")


class _BundleEvent(Event):
    topic: ClassVar[str] = "gov.application.bundles"
    publisher: ClassVar[str] = "/svc-application"
    subject_field: ClassVar[str] = "bundle_id"

    bundle_id: str
    bundle_code: str
    bundle_version: int = Field(ge=1)
    region: str
    applicant: Applicant
    parts: tuple[BundlePart, ...] = Field(min_length=1)


class BundleSubmitted(_BundleEvent):
    """``application.bundle.submitted``: one application for a one-thing bundle (一件事) was submitted; each
    part is an application of its own (its ``application.submitted`` carries ``bundle_id``), handled by its
    item's department."""

    type: ClassVar[str] = "application.bundle.submitted"

    submitted_at: AwareDatetime


class BundleCompleted(_BundleEvent):
    """``application.bundle.completed``: every part has ended; ``outcome`` is ``completed`` when every part
    was approved and completed, else ``partial`` (some part refused, rejected or withdrawn)."""

    type: ClassVar[str] = "application.bundle.completed"

    outcome: Literal["completed", "partial"]
    completed_at: AwareDatetime


class _AppointmentEvent(Event):
    topic: ClassVar[str] = "gov.application.appointments"
    publisher: ClassVar[str] = "/svc-application"
    subject_field: ClassVar[str] = "appointment_id"

    appointment_id: str
    hall_id: str = Field(description="the application service's hall (the hall service links its own to it)")


class AppointmentBooked(_AppointmentEvent):
    """``application.appointment.booked``: a slot at a hall is held; ``reference`` is what the holder shows
    (or types at a kiosk) to check in."""

    type: ClassVar[str] = "application.appointment.booked"

    reference: str
    subject: str = Field(description="the holder's account id")
    application_id: str | None
    slot_start: AwareDatetime
    slot_end: AwareDatetime
    booked_at: AwareDatetime


class AppointmentChanged(_AppointmentEvent):
    """``application.appointment.changed``: the holder moved the appointment to another slot."""

    type: ClassVar[str] = "application.appointment.changed"

    slot_start: AwareDatetime
    slot_end: AwareDatetime
    changed_at: AwareDatetime


class AppointmentCancelled(_AppointmentEvent):
    """``application.appointment.cancelled``: the holder cancelled; the slot is free again."""

    type: ClassVar[str] = "application.appointment.cancelled"

    cancelled_at: AwareDatetime
