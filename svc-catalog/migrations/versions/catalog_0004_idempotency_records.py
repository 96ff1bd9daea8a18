"""Idempotency-Key answers kept in idempotency_record (gov_common.idempotency), no longer on the created rows:
a replay answers the first status and body. Keys already stored on item and bundle versions are dropped
(their first answers were never kept, so they cannot be replayed the new way).

Revision ID: catalog_0004
Revises: catalog_0003
Create Date: 2026-12-08 10:30:00
"""

from collections.abc import Sequence

from gov_common import idempotency

revision: str = "catalog_0004"
down_revision: str | None = "catalog_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (its former unique constraint, the owner column of a key)
_KEYED = {
    "item_version": ("uq_item_version_idempotency", "created_by"),
    "bundle_version": ("uq_bundle_version_idempotency", "created_by"),
}


def upgrade() -> None:
    idempotency.create_record_table()
    idempotency.drop_keys_on_rows(_KEYED)


def downgrade() -> None:
    idempotency.restore_keys_on_rows(_KEYED)
    idempotency.drop_record_table()
