"""Idempotency-Key answers kept in idempotency_record (gov_common.idempotency), no longer on the created rows:
a replay answers the first status and body. Keys already stored on ratings and consultations are dropped
(their first answers were never kept, so they cannot be replayed the new way).

Revision ID: evaluation_0007
Revises: evaluation_0006
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

from gov_common import idempotency

revision: str = "evaluation_0007"
down_revision: str | None = "evaluation_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (its former unique constraint, the owner column of a key)
_KEYED = {
    "rating": ("uq_rating_idempotency", "submitted_by"),
    "consultation": ("uq_consultation_idempotency", "asker_subject"),
}


def upgrade() -> None:
    idempotency.create_record_table()
    idempotency.drop_keys_on_rows(_KEYED)


def downgrade() -> None:
    idempotency.restore_keys_on_rows(_KEYED)
    idempotency.drop_record_table()
