"""The applicant enterprise of an order: whoever acts for it reads and pays the order (not only the agent
who applied).

Revision ID: payment_0003
Revises: payment_0002
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payment_0003"
down_revision: str | None = "payment_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Orders of enterprises created before this revision carry no credit code: finance staff still see them.
    with op.batch_alter_table("payment_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_enterprise", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_payment_order_applicant_enterprise"), ["applicant_enterprise"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_order_applicant_enterprise"))
        batch_op.drop_column("applicant_enterprise")
