"""Outbox and inbox tables.

Revision ID: hall_0001
Revises:
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from gov_common import messaging

revision: str = "hall_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    messaging.create_tables()


def downgrade() -> None:
    messaging.drop_tables()
