"""license imports (a department system's own licence number and client), holder links (account -> blind
index of the citizen's ID number), withdrawn items

Revision ID: certificates_0004
Revises: certificates_0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "certificates_0004"
down_revision: str | None = "certificates_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("item_license", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("license") as batch_op:
        batch_op.add_column(sa.Column("source_reference", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("imported_by", sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint("uq_license_issuer_source_reference", ["issuer_code", "source_reference"])
    op.create_table(
        "holder_link",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("id_index", sa.String(length=64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_holder_link")),
    )
    op.create_index(op.f("ix_holder_link_id_index"), "holder_link", ["id_index"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_holder_link_id_index"), table_name="holder_link")
    op.drop_table("holder_link")
    with op.batch_alter_table("license") as batch_op:
        batch_op.drop_constraint("uq_license_issuer_source_reference", type_="unique")
        batch_op.drop_column("imported_by")
        batch_op.drop_column("source_reference")
    op.drop_column("item_license", "withdrawn_at")
