"""Items' handling guides (审查要点): one per implementation code, written by catalog editors, read by staff.

Revision ID: catalog_0006
Revises: catalog_0005
Create Date: 2026-12-07 19:25:34
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0006"
down_revision: str | None = "catalog_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_guide",
        sa.Column("implementation_code", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("department_code", sa.String(length=18), nullable=False),
        sa.Column("item_name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("implementation_code", name=op.f("pk_review_guide")),
    )
    with op.batch_alter_table("review_guide", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_guide_region"), ["region"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_guide", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_guide_region"))
    op.drop_table("review_guide")
