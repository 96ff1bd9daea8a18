"""Tables of svc-hall. Only this service reads or writes them; appointments are our copy of application's
(from its ``application.appointment.*`` events), never its table."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin

_Ts = UtcDateTime()


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata


class Hall(Base):
    """A service hall (政务服务大厅) of any level; ``appointment_hall_id`` links it to application's hall whose
    appointments check in here."""

    __tablename__ = "hall"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    address: Mapped[str] = mapped_column(sa.String(300))
    appointment_hall_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Opening periods on working days, [["09:00", "12:00"], ["13:30", "17:00"]] (China time).
    opening_hours: Mapped[list[list[str]]] = mapped_column(sa.JSON, server_default=sa.text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(_Ts)
    updated_at: Mapped[datetime | None] = mapped_column(_Ts)


class HallQueue(Base):
    """A queue (by item category or department): its letter prefixes the ticket numbers (A023). A retired
    queue takes no tickets; it stays (with its letter) for the tickets it numbered."""

    __tablename__ = "hall_queue"
    __table_args__ = (sa.UniqueConstraint("hall_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(2))
    name: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str | None] = mapped_column(sa.String(64))
    category: Mapped[str | None] = mapped_column(sa.String(64))
    priority_groups: Mapped[list[str]] = mapped_column(sa.JSON)
    no_show_minutes: Mapped[int] = mapped_column(sa.Integer)
    retired_at: Mapped[datetime | None] = mapped_column(_Ts)


class HallWindow(Base):
    """A window (窗口) and the queues it serves. A retired window takes nobody's sign-in; it stays for the
    tickets it served and the attendance at it."""

    __tablename__ = "hall_window"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str | None] = mapped_column(sa.String(64))
    retired_at: Mapped[datetime | None] = mapped_column(_Ts)


class WindowQueue(Base):
    __tablename__ = "window_queue"

    window_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_window.id"), primary_key=True)
    queue_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_queue.id"), primary_key=True)


class Attendance(Base):
    """A staff member's time at a window (数字考勤): open while ``signed_out_at`` is null; one open per window."""

    __tablename__ = "attendance"
    __table_args__ = (sa.Index("ix_attendance_window_open", "window_id", "signed_out_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    window_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_window.id"))
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    staff: Mapped[str] = mapped_column(sa.String(200), index=True)
    signed_in_at: Mapped[datetime] = mapped_column(_Ts)
    signed_out_at: Mapped[datetime | None] = mapped_column(_Ts)


class TicketCounter(Base):
    """The last number given in a queue on a day: raised by one atomic upsert per ticket."""

    __tablename__ = "ticket_counter"

    queue_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_queue.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer)


class Ticket(Base):
    """A ticket (取号). ``origin_queue_id``/``day``/``seq`` is its unique number; ``queue_id`` is where it
    waits now (a transfer changes it). Status: waiting, called, serving, finished, expired."""

    __tablename__ = "ticket"
    __table_args__ = (
        sa.UniqueConstraint("origin_queue_id", "day", "seq"),
        sa.Index("ix_ticket_queue_status", "queue_id", "status"),
        sa.Index("ix_ticket_hall_day", "hall_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"))
    queue_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_queue.id"))
    origin_queue_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall_queue.id"))
    day: Mapped[date] = mapped_column(sa.Date)
    seq: Mapped[int] = mapped_column(sa.Integer)
    number: Mapped[str] = mapped_column(sa.String(8))
    source: Mapped[str] = mapped_column(sa.String(12))  # appointment | desk | kiosk
    priority_group: Mapped[str | None] = mapped_column(sa.String(32))
    appointment_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    slot_start: Mapped[datetime | None] = mapped_column(_Ts)
    slot_end: Mapped[datetime | None] = mapped_column(_Ts)
    holder: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    status: Mapped[str] = mapped_column(sa.String(12))
    issued_at: Mapped[datetime] = mapped_column(_Ts)
    queued_at: Mapped[datetime] = mapped_column(_Ts)
    window_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("hall_window.id"), index=True)
    staff: Mapped[str | None] = mapped_column(sa.String(200))
    calls: Mapped[int] = mapped_column(sa.Integer, default=0)
    first_called_at: Mapped[datetime | None] = mapped_column(_Ts)
    called_at: Mapped[datetime | None] = mapped_column(_Ts)
    served_at: Mapped[datetime | None] = mapped_column(_Ts)
    finished_at: Mapped[datetime | None] = mapped_column(_Ts)
    expired_reason: Mapped[str | None] = mapped_column(sa.String(12))
    transfers: Mapped[int] = mapped_column(sa.Integer, default=0)


class Call(Base):
    """Every call and recall, in the order made: what the screens show (``seq`` orders the stream)."""

    __tablename__ = "call"

    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    number: Mapped[str] = mapped_column(sa.String(8))
    window_name: Mapped[str] = mapped_column(sa.String(100))
    call: Mapped[int] = mapped_column(sa.Integer)
    called_at: Mapped[datetime] = mapped_column(_Ts)


class Appointment(Base):
    """Our copy of an appointment at a hall (from application's events); ``ticket_id`` once checked in."""

    __tablename__ = "appointment"

    appointment_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    appointment_hall_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    application_id: Mapped[str | None] = mapped_column(sa.String(64))
    slot_start: Mapped[datetime] = mapped_column(_Ts)
    slot_end: Mapped[datetime] = mapped_column(_Ts)
    status: Mapped[str] = mapped_column(sa.String(12))  # booked | cancelled
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    updated_at: Mapped[datetime] = mapped_column(_Ts)


class Kiosk(Base):
    """A self-service terminal (自助终端): a registered client (client credentials) bound to one hall."""

    __tablename__ = "kiosk"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(sa.Boolean)
    registered_by: Mapped[str] = mapped_column(sa.String(200))
    registered_at: Mapped[datetime] = mapped_column(_Ts)


class RealNameCheck(Base):
    """A real-name check at a kiosk: which method was used and whether it passed (no ID number kept)."""

    __tablename__ = "real_name_check"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kiosk_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("kiosk.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(12))  # id_card | face
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    id_tail: Mapped[str | None] = mapped_column(sa.String(4))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    tracking_number: Mapped[str | None] = mapped_column(sa.String(20))  # the case it looked up, if any
    reference: Mapped[str | None] = mapped_column(sa.String(16))  # the appointment it checked in, if any
    # whether identity found the person checked to be the appointment's holder (null: not asked)
    holder_matched: Mapped[bool | None] = mapped_column(sa.Boolean)
    checked_at: Mapped[datetime] = mapped_column(_Ts)


class KioskPrint(Base):
    """A document a kiosk printed (自助打印) for the person it checked: which licence (by certificates' id and
    type) and after which check; no name or ID number. Counted in the hall's figures."""

    __tablename__ = "kiosk_print"
    __table_args__ = (sa.Index("ix_kiosk_print_hall_day", "hall_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kiosk_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("kiosk.id"), index=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"))
    real_name_check_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("real_name_check.id"))
    license_id: Mapped[str] = mapped_column(sa.String(64))
    document_type: Mapped[str] = mapped_column(sa.String(50))  # the licence type's name (营业执照)
    tracking_number: Mapped[str | None] = mapped_column(sa.String(20))  # when printed as a case's result
    day: Mapped[date] = mapped_column(sa.Date)  # China time
    printed_at: Mapped[datetime] = mapped_column(_Ts)


class Agency(Base):
    """全程代办: a hall agent carries a person's case through every step, with the person's consent."""

    __tablename__ = "agency"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("hall.id"), index=True)
    tracking_number: Mapped[str] = mapped_column(sa.String(64))
    person: Mapped[str] = mapped_column(sa.String(200), index=True)
    agent: Mapped[str] = mapped_column(sa.String(200), index=True)
    consent_method: Mapped[str] = mapped_column(sa.String(16))  # signature | id_card | face
    consent_at: Mapped[datetime] = mapped_column(_Ts)
    note: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(8))  # active | ended
    created_at: Mapped[datetime] = mapped_column(_Ts)
    ended_at: Mapped[datetime | None] = mapped_column(_Ts)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """First answers to creating requests by (caller, operation, Idempotency-Key)."""
