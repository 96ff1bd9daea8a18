"""The working-day years received from svc-workflow (gov_common.calendars): hall days and deadlines count on
the platform's one calendar.

Revision ID: evaluation_0006
Revises: evaluation_0005
Create Date: 2026-12-07 03:30:00
"""

from collections.abc import Sequence

from gov_common import calendars

revision: str = "evaluation_0006"
down_revision: str | None = "evaluation_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    calendars.create_tables()


def downgrade() -> None:
    calendars.drop_tables()
