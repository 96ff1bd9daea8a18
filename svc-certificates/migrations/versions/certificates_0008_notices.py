"""Sealed case notices (受理通知书, 不予受理通知书, 补正材料通知书), issued on workflow's acceptance-step events.

Revision ID: certificates_0008
Revises: certificates_0007
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "certificates_0008"
down_revision: str | None = "certificates_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=False),
        sa.Column("application_id", sa.String(length=80), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("department_code", sa.String(length=18), nullable=False),
        sa.Column("applicant_kind", sa.String(length=20), nullable=False),
        sa.Column("applicant_subject", sa.String(length=200), nullable=True),
        sa.Column("applicant_enterprise", sa.String(length=18), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("kid", sa.String(length=80), nullable=False),
        sa.Column("sm2_signature", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"], ["seal.department_code"], name=op.f("fk_notice_department_code_seal")
        ),
        sa.ForeignKeyConstraint(["kid"], ["seal_key.kid"], name=op.f("fk_notice_kid_seal_key")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("number", name=op.f("uq_notice_number")),
    )
    op.create_index(op.f("ix_notice_case_id"), "notice", ["case_id"])
    op.create_index(op.f("ix_notice_department_code"), "notice", ["department_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_department_code"), table_name="notice")
    op.drop_index(op.f("ix_notice_case_id"), table_name="notice")
    op.drop_table("notice")
