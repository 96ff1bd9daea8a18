"""The bundle application (一件事) a case's application is one part of, so that staff see its sibling cases.

Revision ID: workflow_0009
Revises: workflow_0008
Create Date: 2026-12-07 19:53:57.555123
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workflow_0009"
down_revision: str | None = "workflow_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_bundle_id"), ["bundle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_bundle_id"))
        batch_op.drop_column("bundle_id")
