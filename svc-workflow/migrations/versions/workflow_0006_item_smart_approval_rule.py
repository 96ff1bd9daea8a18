"""The item read model keeps the item version's own smart-approval rule (catalog's SmartApprovalRule), which
decides its cases instead of the platform's two fixed rules.

Revision ID: workflow_0006
Revises: workflow_0005
Create Date: 2026-12-07 16:20:14.059942
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workflow_0006"
down_revision: str | None = "workflow_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smart_approval_rule", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_version", schema=None) as batch_op:
        batch_op.drop_column("smart_approval_rule")
