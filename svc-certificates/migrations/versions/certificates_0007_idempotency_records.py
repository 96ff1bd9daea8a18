"""Idempotency-Key answers kept in idempotency_record (gov_common.idempotency), no longer on the created rows:
a replay answers the first status and body. Keys already stored on licences and grants are dropped (their
first answers were never kept, so they cannot be replayed the new way).

Revision ID: certificates_0007
Revises: certificates_0006
Create Date: 2026-12-08 10:10:00
"""

from collections.abc import Sequence

from gov_common import idempotency

revision: str = "certificates_0007"
down_revision: str | None = "certificates_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (its former unique constraint, the owner column of a key)
_KEYED = {
    "license": ("uq_license_issuer_idem", "issuer_code"),
    "grant": ("uq_grant_holder_idem", "holder_key"),
}


def upgrade() -> None:
    idempotency.create_record_table()
    idempotency.drop_keys_on_rows(_KEYED)


def downgrade() -> None:
    idempotency.restore_keys_on_rows(_KEYED)
    idempotency.drop_record_table()
