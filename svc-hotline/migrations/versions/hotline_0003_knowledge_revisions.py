"""Knowledge revisions: proposed new versions of published entries, applied on review, kept as history;
the entry's version number.

Revision ID: hotline_0003
Revises: hotline_0002
Create Date: 2026-12-07 16:33:10.268525
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_0003"
down_revision: str | None = "hotline_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_revision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("owner_department", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("replaced", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["knowledge_entry.id"], name=op.f("fk_knowledge_revision_entry_id_knowledge_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_revision")),
    )
    with op.batch_alter_table("knowledge_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_revision_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_revision_status"), ["status"], unique=False)

    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("knowledge_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_revision_status"))
        batch_op.drop_index(batch_op.f("ix_knowledge_revision_entry_id"))

    op.drop_table("knowledge_revision")
