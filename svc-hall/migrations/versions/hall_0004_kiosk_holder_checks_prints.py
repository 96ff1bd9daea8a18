"""A kiosk's real-name check names the appointment it checked in and whether identity found the person to be
its holder; documents printed at kiosks (自助打印), without personal data.

Revision ID: hall_0004
Revises: hall_0003
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hall_0004"
down_revision: str | None = "hall_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("real_name_check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("holder_matched", sa.Boolean(), nullable=True))
    op.create_table(
        "kiosk_print",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kiosk_id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("real_name_check_id", sa.Uuid(), nullable=False),
        sa.Column("license_id", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=50), nullable=False),
        sa.Column("tracking_number", sa.String(length=20), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_kiosk_print_hall_id_hall")),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosk.id"], name=op.f("fk_kiosk_print_kiosk_id_kiosk")),
        sa.ForeignKeyConstraint(
            ["real_name_check_id"],
            ["real_name_check.id"],
            name=op.f("fk_kiosk_print_real_name_check_id_real_name_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_print")),
    )
    with op.batch_alter_table("kiosk_print", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_print_kiosk_id"), ["kiosk_id"], unique=False)
        batch_op.create_index("ix_kiosk_print_hall_day", ["hall_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kiosk_print", schema=None) as batch_op:
        batch_op.drop_index("ix_kiosk_print_hall_day")
        batch_op.drop_index(batch_op.f("ix_kiosk_print_kiosk_id"))
    op.drop_table("kiosk_print")
    with op.batch_alter_table("real_name_check", schema=None) as batch_op:
        batch_op.drop_column("holder_matched")
        batch_op.drop_column("reference")
