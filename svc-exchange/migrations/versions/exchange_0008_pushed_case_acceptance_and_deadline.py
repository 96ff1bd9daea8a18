"""A pushed case record keeps when the city platform accepted it and its promised deadline (exchange.case.synced
carries both, and the state changes of each push, to workflow's supervision).

Revision ID: exchange_0008
Revises: exchange_0007
Create Date: 2026-12-07 16:06:40
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "exchange_0008"
down_revision: str | None = "exchange_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deadline", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("deadline")
        batch_op.drop_column("accepted_at")
