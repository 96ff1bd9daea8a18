"""Indexes that keep the staff inbox and the case lists as cheap at 10 million cases as at 10 thousand
(scripts/bench/scale.py): the inbox reads a partial index of the open and claimed tasks only, in order, a
single-status list reads (department, status) in order, and the case lists read (department or applicant,
opened_at) in order, with no sort of all the matching rows. The case indexes replace the one-column indexes
they extend.

Revision ID: workflow_0004
Revises: workflow_0003
Create Date: 2026-12-14 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workflow_0004"
down_revision: str | None = "workflow_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_TASKS = "status IN ('open', 'claimed')"


def upgrade() -> None:
    where = sa.text(OPEN_TASKS)
    op.create_index(
        "ix_task_open", "task", ["department", "created_at", "id"], postgresql_where=where, sqlite_where=where
    )
    op.create_index("ix_task_by_status", "task", ["department", "status", "created_at", "id"])
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index("ix_case_by_department", "case", ["department", "opened_at", "id"])
    op.drop_index("ix_case_department", table_name="case")
    op.create_index("ix_case_by_applicant", "case", ["applicant_subject", "opened_at", "id"])
    op.drop_index("ix_case_applicant_subject", table_name="case")


def downgrade() -> None:
    op.create_index("ix_case_applicant_subject", "case", ["applicant_subject"])
    op.drop_index("ix_case_by_applicant", table_name="case")
    op.create_index("ix_case_department", "case", ["department"])
    op.drop_index("ix_case_by_department", table_name="case")
    op.create_index("ix_task_inbox", "task", ["department", "status", "role"])
    op.drop_index("ix_task_by_status", table_name="task")
    op.drop_index("ix_task_open", table_name="task")
