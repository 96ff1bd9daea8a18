"""Tables of svc-application. Only this service reads or writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin

_Ts = UtcDateTime()


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata


class CatalogItem(Base):
    """Our copy of a published item (from ``catalog.item.published``): what an application is checked against."""

    __tablename__ = "catalog_item"

    implementation_code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    department_code: Mapped[str] = mapped_column(sa.String(32))
    department_name: Mapped[str] = mapped_column(sa.String(200))
    service_object: Mapped[str] = mapped_column(sa.String(16))
    form_schema: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    delivery: Mapped[list[str]] = mapped_column(sa.JSON)
    # 异地代收: {"regions": [...]} when other regions' windows may accept it (none listed: the whole province).
    cross_region: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    published: Mapped[bool] = mapped_column(sa.Boolean)
    updated_at: Mapped[datetime] = mapped_column(_Ts)


class CatalogBundle(Base):
    """Our copy of a published one-thing bundle (from ``catalog.bundle.published``): its items, merged
    materials and merged form, what a bundle application is made against."""

    __tablename__ = "catalog_bundle"

    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12))
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published: Mapped[bool] = mapped_column(sa.Boolean)
    updated_at: Mapped[datetime] = mapped_column(_Ts)


class BundleApplication(Base):
    """One application for a one-thing bundle (一件事一次办): the merged form and materials given once, fanned
    out into one application per item (``Application.bundle_id``), each handled by its own department."""

    __tablename__ = "bundle_application"
    __table_args__ = (
        sa.Index("ix_bundle_application_by_applicant", "applicant_subject", "applicant_kind", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    bundle_code: Mapped[str] = mapped_column(sa.String(64))
    bundle_version: Mapped[int] = mapped_column(sa.Integer)
    bundle_name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(24))  # draft | submitted | completed | partial
    channel: Mapped[str] = mapped_column(sa.String(8))
    applicant_subject: Mapped[str | None] = mapped_column(sa.String(200))
    applicant_kind: Mapped[str] = mapped_column(sa.String(16))
    enterprise: Mapped[str | None] = mapped_column(sa.String(18))
    agent_subject: Mapped[str | None] = mapped_column(sa.String(200))
    applicant_name_masked: Mapped[str] = mapped_column(sa.String(100))
    id_tail: Mapped[str] = mapped_column(sa.String(4))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    form: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)
    submitted_at: Mapped[datetime | None] = mapped_column(_Ts)
    completed_at: Mapped[datetime | None] = mapped_column(_Ts)


class Application(Base):
    """An application (申报) and, once submitted, its case tracking number (办件编号)."""

    __tablename__ = "application"
    __table_args__ = (
        sa.Index("ix_application_stats", "submitted_at", "region"),
        # The applicant's lists, newest first (applications.service.list_applications): read in index order.
        sa.Index("ix_application_by_applicant", "applicant_subject", "applicant_kind", "created_at", "id"),
        sa.Index("ix_application_by_enterprise", "enterprise", "applicant_kind", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    tracking_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    status: Mapped[str] = mapped_column(sa.String(24), index=True)
    channel: Mapped[str] = mapped_column(sa.String(8))  # online | hall
    item_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    item_version: Mapped[int] = mapped_column(sa.Integer)
    item_name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12))
    department_code: Mapped[str] = mapped_column(sa.String(32), index=True)
    department_name: Mapped[str] = mapped_column(sa.String(200))
    applicant_subject: Mapped[str | None] = mapped_column(sa.String(200))
    applicant_kind: Mapped[str] = mapped_column(sa.String(16))  # citizen | enterprise
    enterprise: Mapped[str | None] = mapped_column(sa.String(18))
    agent_subject: Mapped[str | None] = mapped_column(sa.String(200))
    applicant_name_masked: Mapped[str] = mapped_column(sa.String(100))
    id_tail: Mapped[str] = mapped_column(sa.String(4))
    # Given with the tracking number: the secret of the public status query (domain.new_query_code).
    query_code: Mapped[str | None] = mapped_column(sa.String(16))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    form: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    case_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    supplement_request: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    decision: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The bundle application this is one part of (一件事), if any.
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("bundle_application.id"), index=True)
    # 异地代收: the window of another region that accepted it on the department's behalf (null: not so).
    accepting_region: Mapped[str | None] = mapped_column(sa.String(12))
    accepting_department: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    accepting_hall_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("hall.id"))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)
    submitted_at: Mapped[datetime | None] = mapped_column(_Ts)


class Material(Base):
    """A material of an application: an uploaded file (by content hash) or a reused e-license (免提交)."""

    __tablename__ = "material"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("application.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(8))  # upload | license
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    media_type: Mapped[str | None] = mapped_column(sa.String(100))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    license_id: Mapped[str | None] = mapped_column(sa.String(100))
    license_type: Mapped[str | None] = mapped_column(sa.String(50))
    verified: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    round: Mapped[int] = mapped_column(sa.Integer, default=0)  # 0 = first submission, n = n-th supplement
    added_at: Mapped[datetime] = mapped_column(_Ts)
    added_by: Mapped[str] = mapped_column(sa.String(200))


class StatusChange(Base):
    """Every change of an application's status, with its cause (全过程留痕)."""

    __tablename__ = "status_change"
    # The history of one application in order (the status query, GET .../history): no sort.
    __table_args__ = (sa.Index("ix_status_change_history", "application_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("application.id"))
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str] = mapped_column(sa.String(24))
    cause: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(_Ts)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class TrackingSequence(Base):
    """The next sequence number of tracking numbers per region and day (row-locked while taken)."""

    __tablename__ = "tracking_sequence"

    region: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer to a creating write, replayed for the same key and body."""


class Hall(Base):
    """A service hall (政务服务大厅) with its opening periods on working days and its slot length."""

    __tablename__ = "hall"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    address: Mapped[str] = mapped_column(sa.String(300))
    periods: Mapped[list[list[str]]] = mapped_column(sa.JSON)  # [["09:00", "12:00"], ["14:30", "17:30"]]
    slot_minutes: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(_Ts)


class HallWindow(Base):
    """A window (窗口) of a hall; its capacity is how many appointments it serves per slot."""

    __tablename__ = "hall_window"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    capacity_per_slot: Mapped[int] = mapped_column(sa.Integer)


class SlotLoad(Base):
    """Appointments held in one slot of one window; ``booked <= capacity`` is kept by a guarded update."""

    __tablename__ = "slot_load"

    window_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_window.id"), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(_Ts, primary_key=True)
    booked: Mapped[int] = mapped_column(sa.Integer)
    capacity: Mapped[int] = mapped_column(sa.Integer)


class Appointment(Base):
    """A booking (预约) of a slot at a window; ``reference`` is what the applicant shows at the hall."""

    __tablename__ = "appointment"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    window_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_window.id"))
    slot_start: Mapped[datetime] = mapped_column(_Ts)
    subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    status: Mapped[str] = mapped_column(sa.String(12))  # booked | cancelled
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)


class Delivery(Base):
    """How the result reaches the applicant: pick-up at a hall or mail (统一物流); the address is encrypted."""

    __tablename__ = "delivery"

    application_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("application.id"), primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(8))  # pickup | mail
    hall_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("hall.id"))
    address_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    carrier: Mapped[str | None] = mapped_column(sa.String(32))
    waybill: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(24))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime] = mapped_column(_Ts)


class DeliveryUpdate(Base):
    """A status update of a delivery, as reported by the logistics adapter or hall staff."""

    __tablename__ = "delivery_update"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("delivery.application_id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(24))
    note: Mapped[str] = mapped_column(sa.String(300))
    at: Mapped[datetime] = mapped_column(_Ts)
    actor: Mapped[str] = mapped_column(sa.String(200))
