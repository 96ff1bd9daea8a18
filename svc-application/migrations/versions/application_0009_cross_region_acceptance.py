"""Cross-region acceptance (异地代收): which window of another region accepted an application on the
department's behalf, and whether our copy of an item allows it.

Revision ID: application_0009
Revises: application_0008
Create Date: 2026-12-07 19:29:01.675704
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "application_0009"
down_revision: str | None = "application_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepting_region", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("accepting_department", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("accepting_hall_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_application_accepting_department"), ["accepting_department"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_application_accepting_hall_id_hall"), "hall", ["accepting_hall_id"], ["id"]
        )

    with op.batch_alter_table("catalog_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cross_region", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_item", schema=None) as batch_op:
        batch_op.drop_column("cross_region")

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_application_accepting_hall_id_hall"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_application_accepting_department"))
        batch_op.drop_column("accepting_hall_id")
        batch_op.drop_column("accepting_department")
        batch_op.drop_column("accepting_region")
