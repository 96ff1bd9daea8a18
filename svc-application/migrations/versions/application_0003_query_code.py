"""A query code per submitted application: the secret the public status query needs with the tracking
number (tracking numbers are sequential, and the last 4 characters of a public credit code are no secret).

Revision ID: application_0003
Revises: application_0002
Create Date: 2026-12-03 10:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "application_0003"
down_revision: str | None = "application_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The alphabet of application.domain.new_query_code (a migration keeps its own copy: it must not change).
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("query_code", sa.String(length=16), nullable=True))
    # Applications already submitted get a code too; their applicants read it on the application.
    application = sa.table(
        "application",
        sa.column("id", sa.Uuid()),
        sa.column("tracking_number", sa.String()),
        sa.column("query_code", sa.String()),
    )
    bind = op.get_bind()
    submitted = sa.select(application.c.id).where(application.c.tracking_number.is_not(None))
    ids = bind.execute(submitted).scalars().all()
    for app_id in ids:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        bind.execute(sa.update(application).where(application.c.id == app_id).values(query_code=code))


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("query_code")
