"""account security: recovery-factor changes, phone changes confirmed by code, enterprise registrations
pending staff verification and representative disputes

Revision ID: identity_0005
Revises: identity_0004
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0005"
down_revision: str | None = "identity_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recovery_changed_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "phone_change",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_phone_change_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_change")),
    )
    with op.batch_alter_table("phone_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_change_account_id"), ["account_id"], unique=False)

    op.create_table(
        "enterprise_registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["account.id"], name=op.f("fk_enterprise_registration_applicant_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_registration")),
    )
    with op.batch_alter_table("enterprise_registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_registration_applicant_id"), ["applicant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_registration_credit_code"), ["credit_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_registration_region_code"), ["region_code"], unique=False)

    op.create_table(
        "enterprise_dispute",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("claimant_id", sa.Uuid(), nullable=False),
        sa.Column("representative_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("base_check", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["account.id"], name=op.f("fk_enterprise_dispute_claimant_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name=op.f("fk_enterprise_dispute_enterprise_id_enterprise")
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"], ["account.id"], name=op.f("fk_enterprise_dispute_representative_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_dispute")),
    )
    with op.batch_alter_table("enterprise_dispute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_dispute_claimant_id"), ["claimant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_dispute_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_dispute_region_code"), ["region_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enterprise_dispute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_dispute_region_code"))
        batch_op.drop_index(batch_op.f("ix_enterprise_dispute_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_enterprise_dispute_claimant_id"))
    op.drop_table("enterprise_dispute")

    with op.batch_alter_table("enterprise_registration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_registration_region_code"))
        batch_op.drop_index(batch_op.f("ix_enterprise_registration_credit_code"))
        batch_op.drop_index(batch_op.f("ix_enterprise_registration_applicant_id"))
    op.drop_table("enterprise_registration")

    with op.batch_alter_table("phone_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_change_account_id"))
    op.drop_table("phone_change")

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("recovery_changed_at")
