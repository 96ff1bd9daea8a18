"""When each usage row was last reported to the catalog (the staff's usage statistics read it there).

Revision ID: portal_0002
Revises: portal_0001
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gov_common.db import UtcDateTime

revision: str = "portal_0002"
down_revision: str | None = "portal_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("item_usage", "search_term"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("reported_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    for table in ("item_usage", "search_term"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reported_at")
