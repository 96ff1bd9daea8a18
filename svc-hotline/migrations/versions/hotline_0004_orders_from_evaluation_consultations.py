"""Work orders made of consultations and complaints filed in svc-evaluation (小热线融合): their link.

Revision ID: hotline_0004
Revises: hotline_0003
Create Date: 2026-12-07 16:43:41.420658
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_0004"
down_revision: str | None = "hotline_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consultation_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_work_order_consultation_id"), ["consultation_id"])


def downgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_work_order_consultation_id"), type_="unique")
        batch_op.drop_column("consultation_id")
