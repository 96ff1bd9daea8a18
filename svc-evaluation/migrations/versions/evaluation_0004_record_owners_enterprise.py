"""Records name the enterprise they belong to (ratings, rectifications, consultations), so that the
enterprise's agents see them through the one access policy and a person's citizen token does not.

Revision ID: evaluation_0004
Revises: evaluation_0003
Create Date: 2026-12-07 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0004"
down_revision: str | None = "evaluation_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rater_enterprise", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_rating_rater_enterprise"), ["rater_enterprise"], unique=False)
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rater_kind", sa.String(length=20), nullable=False, server_default="citizen"))
        batch_op.add_column(sa.Column("rater_enterprise", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_rectification_rater_enterprise"), ["rater_enterprise"], unique=False)
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asker_enterprise", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_consultation_asker_enterprise"), ["asker_enterprise"], unique=False)
    # Ratings of an enterprise's case belong to the enterprise; their rectifications follow the rating.
    # Consultations asked by agents before this revision did not record the enterprise: they stay the
    # asker's only as far as nobody else is concerned (no agent of any enterprise sees them).
    op.execute(
        "UPDATE rating SET rater_enterprise = (SELECT c.applicant_enterprise FROM evaluated_case c"
        " WHERE c.case_id = rating.case_id) WHERE rater_kind = 'enterprise' AND case_id IS NOT NULL"
    )
    op.execute(
        "UPDATE rectification SET"
        " rater_kind = COALESCE((SELECT r.rater_kind FROM rating r WHERE r.id = rectification.rating_id), 'citizen'),"
        " rater_enterprise = (SELECT r.rater_enterprise FROM rating r WHERE r.id = rectification.rating_id)"
    )
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.alter_column("rater_kind", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_asker_enterprise"))
        batch_op.drop_column("asker_enterprise")
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_rater_enterprise"))
        batch_op.drop_column("rater_enterprise")
        batch_op.drop_column("rater_kind")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_rater_enterprise"))
        batch_op.drop_column("rater_enterprise")
