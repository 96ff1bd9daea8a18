"""A hall's opening hours and last change; queues and windows retired instead of deleted (their tickets and
attendance keep pointing at them); a kiosk's real-name check names the case it looked up.

Revision ID: hall_0003
Revises: hall_0002
Create Date: 2026-12-07 16:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hall_0003"
down_revision: str | None = "hall_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hall", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_hours", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("hall_queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("hall_window", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("real_name_check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracking_number", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("real_name_check", schema=None) as batch_op:
        batch_op.drop_column("tracking_number")
    with op.batch_alter_table("hall_window", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("hall_queue", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("hall", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("opening_hours")
