"""12345 work orders forwarded to city platforms (hotline.order.forwarded) and where each stands, so that only
the platform it went to answers, closes or returns it.

Revision ID: exchange_0009
Revises: exchange_0008
Create Date: 2026-12-07 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "exchange_0009"
down_revision: str | None = "exchange_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotline_forward",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("city", sa.String(length=6), nullable=False),
        sa.Column("system_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["external_system.id"], name=op.f("fk_hotline_forward_system_id_external_system")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_forward")),
        sa.UniqueConstraint("event_id", name=op.f("uq_hotline_forward_event_id")),
    )
    with op.batch_alter_table("hotline_forward", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotline_forward_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotline_forward_system_id"), ["system_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hotline_forward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotline_forward_system_id"))
        batch_op.drop_index(batch_op.f("ix_hotline_forward_order_id"))
    op.drop_table("hotline_forward")
