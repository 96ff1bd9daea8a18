"""Server-side sessions (gov_web).

Revision ID: workbench_0001
Revises:
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from gov_web.sessions import create_session_table

revision: str = "workbench_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_session_table()


def downgrade() -> None:
    op.drop_table("web_session")
