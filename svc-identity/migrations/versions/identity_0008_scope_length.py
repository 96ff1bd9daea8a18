"""scope length: a staff workbench token's scopes outgrow 500 characters (the whole catalogue is about 1,300)

Revision ID: identity_0008
Revises: identity_0007
Create Date: 2026-12-07 01:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0008"
down_revision: str | None = "identity_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("authorization_code", "refresh_token")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("scope", type_=sa.String(length=2000), existing_type=sa.String(length=500))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("scope", type_=sa.String(length=500), existing_type=sa.String(length=2000))
