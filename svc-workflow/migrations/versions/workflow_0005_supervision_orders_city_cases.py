"""Supervision orders (督办) with their replies and escalations; the cases city platforms push through exchange,
supervised like ours; the first answers of creates sent with an Idempotency-Key.

Revision ID: workflow_0005
Revises: workflow_0004
Create Date: 2026-12-07 15:54:07.856126
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gov_common import idempotency

revision: str = "workflow_0005"
down_revision: str | None = "workflow_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("item_code", sa.String(length=200), nullable=False),
        sa.Column("item_name", sa.String(length=300), nullable=True),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("paused_since", sa.Date(), nullable=True),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("sla_level", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handling_days", sa.Integer(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_case")),
    )
    with op.batch_alter_table("external_case", schema=None) as batch_op:
        batch_op.create_index("ix_external_case_by_region", ["region", "received_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_external_case_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_external_case_item_code"), ["item_code"], unique=False)

    idempotency.create_record_table()
    op.create_table(
        "supervision_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("external_case_id", sa.Uuid(), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issuer_region", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_deadline", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("holder_region", sa.String(length=12), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_by", sa.String(length=200), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_supervision_order_case_id_case")),
        sa.ForeignKeyConstraint(
            ["external_case_id"], ["external_case.id"], name=op.f("fk_supervision_order_external_case_id_external_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_order")),
    )
    with op.batch_alter_table("supervision_order", schema=None) as batch_op:
        batch_op.create_index("ix_supervision_order_by_department", ["department", "issued_at", "id"], unique=False)
        batch_op.create_index("ix_supervision_order_by_region", ["region", "issued_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_order_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_supervision_order_due", ["status", "deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_order_external_case_id"), ["external_case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supervision_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_order_external_case_id"))
        batch_op.drop_index("ix_supervision_order_due")
        batch_op.drop_index(batch_op.f("ix_supervision_order_case_id"))
        batch_op.drop_index("ix_supervision_order_by_region")
        batch_op.drop_index("ix_supervision_order_by_department")

    op.drop_table("supervision_order")
    idempotency.drop_record_table()
    with op.batch_alter_table("external_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_case_item_code"))
        batch_op.drop_index(batch_op.f("ix_external_case_department"))
        batch_op.drop_index("ix_external_case_by_region")

    op.drop_table("external_case")
