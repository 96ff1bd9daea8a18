"""The outbox keeps each event's contract and version (the CloudEvent's dataschema, set by gov_contracts).

Revision ID: exchange_0005
Revises: exchange_0004
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

from gov_common.messaging import add_dataschema_column, drop_dataschema_column

revision: str = "exchange_0005"
down_revision: str | None = "exchange_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_dataschema_column()


def downgrade() -> None:
    drop_dataschema_column()
