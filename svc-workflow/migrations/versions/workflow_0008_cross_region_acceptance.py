"""Cross-region acceptance (异地代收): the region and department whose window accepted a case for the
department that handles it (and the index of that department's list of them).

Revision ID: workflow_0008
Revises: workflow_0007
Create Date: 2026-12-07 19:39:38.408481
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workflow_0008"
down_revision: str | None = "workflow_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepting_region", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("accepting_department", sa.String(length=32), nullable=True))
        batch_op.create_index(
            "ix_case_by_accepting_department", ["accepting_department", "opened_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_by_accepting_department")
        batch_op.drop_column("accepting_department")
        batch_op.drop_column("accepting_region")
