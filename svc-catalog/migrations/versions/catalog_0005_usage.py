"""Usage statistics reported by the front-ends: item views and applications, search terms (anonymous
running totals per reporting client).

Revision ID: catalog_0005
Revises: catalog_0004
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0005"
down_revision: str | None = "catalog_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_usage",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("applications", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "code", name=op.f("pk_item_usage")),
    )
    op.create_index(op.f("ix_item_usage_region"), "item_usage", ["region"], unique=False)
    op.create_table(
        "search_usage",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("term", sa.String(length=50), nullable=False),
        sa.Column("searches", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "term", name=op.f("pk_search_usage")),
    )


def downgrade() -> None:
    op.drop_table("search_usage")
    op.drop_index(op.f("ix_item_usage_region"), table_name="item_usage")
    op.drop_table("item_usage")
