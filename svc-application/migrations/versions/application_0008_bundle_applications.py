"""Bundle applications (一件事一次办): our copy of the catalog's published bundles, the bundle application,
and each application's link to the bundle it is one part of.

Revision ID: application_0008
Revises: application_0007
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "application_0008"
down_revision: str | None = "application_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bundle_application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bundle_code", sa.String(length=64), nullable=False),
        sa.Column("bundle_version", sa.Integer(), nullable=False),
        sa.Column("bundle_name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("applicant_subject", sa.String(length=200), nullable=True),
        sa.Column("applicant_kind", sa.String(length=16), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=True),
        sa.Column("agent_subject", sa.String(length=200), nullable=True),
        sa.Column("applicant_name_masked", sa.String(length=100), nullable=False),
        sa.Column("id_tail", sa.String(length=4), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_application")),
    )
    with op.batch_alter_table("bundle_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bundle_application_by_applicant",
            ["applicant_subject", "applicant_kind", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "catalog_bundle",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalog_bundle")),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_application_bundle_id"), ["bundle_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_application_bundle_id_bundle_application"), "bundle_application", ["bundle_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_application_bundle_id_bundle_application"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_application_bundle_id"))
        batch_op.drop_column("bundle_id")

    op.drop_table("catalog_bundle")
    with op.batch_alter_table("bundle_application", schema=None) as batch_op:
        batch_op.drop_index("ix_bundle_application_by_applicant")

    op.drop_table("bundle_application")
