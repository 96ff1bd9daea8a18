"""Indexes that keep the applicant's lists and the public status query as cheap at 10 million applications as
at 10 thousand (scripts/bench/scale.py): a citizen's or an enterprise's applications are read newest first in
index order (no sort of all their rows), and an application's history in order of time. Each replaces the
single-column index it extends, so a write maintains as many indexes as before.

Revision ID: application_0007
Revises: application_0006
Create Date: 2026-12-14 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "application_0007"
down_revision: str | None = "application_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_application_by_applicant", "application", ["applicant_subject", "applicant_kind", "created_at", "id"]
    )
    op.drop_index("ix_application_applicant_subject", table_name="application")
    op.create_index("ix_application_by_enterprise", "application", ["enterprise", "applicant_kind", "created_at", "id"])
    op.drop_index("ix_application_enterprise", table_name="application")
    op.create_index("ix_status_change_history", "status_change", ["application_id", "at"])
    op.drop_index("ix_status_change_application_id", table_name="status_change")


def downgrade() -> None:
    op.create_index("ix_status_change_application_id", "status_change", ["application_id"])
    op.drop_index("ix_status_change_history", table_name="status_change")
    op.create_index("ix_application_enterprise", "application", ["enterprise"])
    op.drop_index("ix_application_by_enterprise", table_name="application")
    op.create_index("ix_application_applicant_subject", "application", ["applicant_subject"])
    op.drop_index("ix_application_by_applicant", table_name="application")
