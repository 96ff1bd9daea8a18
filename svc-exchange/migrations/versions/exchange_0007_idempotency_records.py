"""Idempotency-Key answers kept in idempotency_record (gov_common.idempotency), no longer on the created rows:
a replay answers the first status and body. Keys already stored on webhook subscriptions and sharing
requests are dropped (their first answers were never kept, so they cannot be replayed the new way).

Revision ID: exchange_0007
Revises: exchange_0006
Create Date: 2026-12-08 10:20:00
"""

from collections.abc import Sequence

from gov_common import idempotency

revision: str = "exchange_0007"
down_revision: str | None = "exchange_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (its former unique constraint: none here, the owner column of a key)
_KEYED = {
    "webhook_subscription": ("", "system_id"),
    "sharing_request": ("", "consumer_department"),
}


def upgrade() -> None:
    idempotency.create_record_table()
    idempotency.drop_keys_on_rows(_KEYED)


def downgrade() -> None:
    idempotency.restore_keys_on_rows(_KEYED)
    idempotency.drop_record_table()
