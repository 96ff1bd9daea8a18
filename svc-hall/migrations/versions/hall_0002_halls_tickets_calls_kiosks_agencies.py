"""Halls, queues, windows, attendance, ticket counters, tickets, calls, our copy of appointments, kiosks,
real-name checks, agencies (全程代办) and the Idempotency-Key answers (gov_common.idempotency).

Revision ID: hall_0002
Revises: hall_0001
Create Date: 2026-12-07 13:16:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gov_common import idempotency

revision: str = "hall_0002"
down_revision: str | None = "hall_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment",
        sa.Column("appointment_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("appointment_hall_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=True),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_appointment")),
        sa.UniqueConstraint("reference", name=op.f("uq_appointment_reference")),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_appointment_hall_id"), ["appointment_hall_id"], unique=False)

    op.create_table(
        "call",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("window_name", sa.String(length=100), nullable=False),
        sa.Column("call", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_call")),
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "hall",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("appointment_hall_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hall")),
        sa.UniqueConstraint("appointment_hall_id", name=op.f("uq_hall_appointment_hall_id")),
    )
    with op.batch_alter_table("hall", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hall_region"), ["region"], unique=False)

    idempotency.create_record_table()
    op.create_table(
        "agency",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("consent_method", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_agency_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
    )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_agency_hall_id"), ["hall_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agency_person"), ["person"], unique=False)

    op.create_table(
        "hall_queue",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("priority_groups", sa.JSON(), nullable=False),
        sa.Column("no_show_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_hall_queue_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hall_queue")),
        sa.UniqueConstraint("hall_id", "code", name=op.f("uq_hall_queue_hall_id")),
    )
    with op.batch_alter_table("hall_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hall_queue_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "hall_window",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_hall_window_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hall_window")),
    )
    with op.batch_alter_table("hall_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hall_window_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "kiosk",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_kiosk_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk")),
        sa.UniqueConstraint("client_id", name=op.f("uq_kiosk_client_id")),
    )
    with op.batch_alter_table("kiosk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_hall_id"), ["hall_id"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("staff", sa.String(length=200), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["window_id"], ["hall_window.id"], name=op.f("fk_attendance_window_id_hall_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_hall_id"), ["hall_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_staff"), ["staff"], unique=False)
        batch_op.create_index("ix_attendance_window_open", ["window_id", "signed_out_at"], unique=False)

    op.create_table(
        "real_name_check",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kiosk_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("id_tail", sa.String(length=4), nullable=True),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosk.id"], name=op.f("fk_real_name_check_kiosk_id_kiosk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_real_name_check")),
    )
    with op.batch_alter_table("real_name_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_real_name_check_kiosk_id"), ["kiosk_id"], unique=False)

    op.create_table(
        "ticket",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("origin_queue_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("priority_group", sa.String(length=32), nullable=True),
        sa.Column("appointment_id", sa.String(length=64), nullable=True),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=True),
        sa.Column("staff", sa.String(length=200), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("first_called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_reason", sa.String(length=12), nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_ticket_hall_id_hall")),
        sa.ForeignKeyConstraint(
            ["origin_queue_id"], ["hall_queue.id"], name=op.f("fk_ticket_origin_queue_id_hall_queue")
        ),
        sa.ForeignKeyConstraint(["queue_id"], ["hall_queue.id"], name=op.f("fk_ticket_queue_id_hall_queue")),
        sa.ForeignKeyConstraint(["window_id"], ["hall_window.id"], name=op.f("fk_ticket_window_id_hall_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_ticket_appointment_id")),
        sa.UniqueConstraint("origin_queue_id", "day", "seq", name=op.f("uq_ticket_origin_queue_id")),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_hall_day", ["hall_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_holder"), ["holder"], unique=False)
        batch_op.create_index("ix_ticket_queue_status", ["queue_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_window_id"), ["window_id"], unique=False)

    op.create_table(
        "ticket_counter",
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["hall_queue.id"], name=op.f("fk_ticket_counter_queue_id_hall_queue")),
        sa.PrimaryKeyConstraint("queue_id", "day", name=op.f("pk_ticket_counter")),
    )
    op.create_table(
        "window_queue",
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["hall_queue.id"], name=op.f("fk_window_queue_queue_id_hall_queue")),
        sa.ForeignKeyConstraint(["window_id"], ["hall_window.id"], name=op.f("fk_window_queue_window_id_hall_window")),
        sa.PrimaryKeyConstraint("window_id", "queue_id", name=op.f("pk_window_queue")),
    )


def downgrade() -> None:
    op.drop_table("window_queue")
    op.drop_table("ticket_counter")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_window_id"))
        batch_op.drop_index("ix_ticket_queue_status")
        batch_op.drop_index(batch_op.f("ix_ticket_holder"))
        batch_op.drop_index("ix_ticket_hall_day")

    op.drop_table("ticket")
    with op.batch_alter_table("real_name_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_real_name_check_kiosk_id"))

    op.drop_table("real_name_check")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_window_open")
        batch_op.drop_index(batch_op.f("ix_attendance_staff"))
        batch_op.drop_index(batch_op.f("ix_attendance_hall_id"))

    op.drop_table("attendance")
    with op.batch_alter_table("kiosk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_hall_id"))

    op.drop_table("kiosk")
    with op.batch_alter_table("hall_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hall_window_hall_id"))

    op.drop_table("hall_window")
    with op.batch_alter_table("hall_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hall_queue_hall_id"))

    op.drop_table("hall_queue")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_person"))
        batch_op.drop_index(batch_op.f("ix_agency_hall_id"))
        batch_op.drop_index(batch_op.f("ix_agency_agent"))

    op.drop_table("agency")
    idempotency.drop_record_table()
    with op.batch_alter_table("hall", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hall_region"))

    op.drop_table("hall")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_hall_id"))

    op.drop_table("call")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_appointment_hall_id"))

    op.drop_table("appointment")
