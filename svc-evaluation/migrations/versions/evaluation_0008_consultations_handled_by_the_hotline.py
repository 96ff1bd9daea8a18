"""Consultations and complaints handled as 12345 work orders (小热线融合): forwarded, and the order's link.
Those asked before stay forwarded = false and are still answered in evaluation.

Revision ID: evaluation_0008
Revises: evaluation_0007
Create Date: 2026-12-07 16:44:25.665610
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0008"
down_revision: str | None = "evaluation_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forwarded", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("hotline_order_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("hotline_number", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("hotline_number")
        batch_op.drop_column("hotline_order_id")
        batch_op.drop_column("forwarded")
