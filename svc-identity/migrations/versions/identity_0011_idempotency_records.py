"""Idempotency-Key answers kept in idempotency_record (gov_common.idempotency, per caller, operation and key,
with the first status) instead of identity's own idempotent_request ("scope:key" cut to 200 characters,
always replayed as 201). Its rows are not carried over: they name no caller.

Revision ID: identity_0011
Revises: identity_0010
Create Date: 2026-12-08 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gov_common import idempotency

revision: str = "identity_0011"
down_revision: str | None = "identity_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    idempotency.create_record_table()
    op.drop_table("idempotent_request")


def downgrade() -> None:
    op.create_table(
        "idempotent_request",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotent_request")),
    )
    idempotency.drop_record_table()
