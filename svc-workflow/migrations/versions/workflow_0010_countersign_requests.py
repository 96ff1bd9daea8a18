"""Countersign requests (会签): a case's handlers ask another department for its opinion, which answers once.

Revision ID: workflow_0010
Revises: workflow_0009
Create Date: 2026-12-07 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workflow_0010"
down_revision: str | None = "workflow_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "countersign_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_department", sa.String(length=32), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agree", sa.Boolean(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_countersign_request_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_countersign_request")),
    )
    with op.batch_alter_table("countersign_request", schema=None) as batch_op:
        batch_op.create_index("ix_countersign_request_by_case", ["case_id", "requested_at", "id"], unique=False)
        batch_op.create_index(
            "ix_countersign_request_by_department", ["department", "status", "requested_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("countersign_request", schema=None) as batch_op:
        batch_op.drop_index("ix_countersign_request_by_department")
        batch_op.drop_index("ix_countersign_request_by_case")
    op.drop_table("countersign_request")
