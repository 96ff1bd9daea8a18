"""license region, approved cases

Revision ID: certificates_0003
Revises: certificates_0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "certificates_0003"
down_revision: str | None = "certificates_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("license", sa.Column("region", sa.String(length=12), nullable=True))
    op.create_index(op.f("ix_license_region"), "license", ["region"], unique=False)
    op.create_table(
        "approved_case",
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("department_code", sa.String(length=18), nullable=False),
        sa.Column("department_name", sa.String(length=100), nullable=False),
        sa.Column("license_type_name", sa.String(length=50), nullable=False),
        sa.Column("applicant_kind", sa.String(length=20), nullable=False),
        sa.Column("applicant_subject", sa.String(length=80), nullable=False),
        sa.Column("applicant_enterprise", sa.String(length=18), nullable=True),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_approved_case")),
    )


def downgrade() -> None:
    op.drop_table("approved_case")
    op.drop_index(op.f("ix_license_region"), table_name="license")
    op.drop_column("license", "region")
