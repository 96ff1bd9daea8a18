"""Combined payments (合并支付): one channel trade for several orders of one payer (the fees of a one-thing
bundle); each order names the combined payment it is part of, and the ledger keeps the trade.

Revision ID: payment_0005
Revises: payment_0004
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payment_0005"
down_revision: str | None = "payment_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "combined_payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payer_subject", sa.String(length=200), nullable=False),
        sa.Column("payer_kind", sa.String(length=20), nullable=False),
        sa.Column("payer_enterprise", sa.String(length=32), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("channel_trade_no", sa.String(length=64), nullable=True),
        sa.Column("pay_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_combined_payment")),
    )
    with op.batch_alter_table("combined_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_combined_payment_payer_subject"), ["payer_subject"], unique=False)

    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trade_reference", sa.String(length=64), nullable=True))

    with op.batch_alter_table("payment_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("combined_payment_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_payment_order_combined_payment_id"), ["combined_payment_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_order_combined_payment_id_combined_payment"),
            "combined_payment",
            ["combined_payment_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_order", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payment_order_combined_payment_id_combined_payment"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_payment_order_combined_payment_id"))
        batch_op.drop_column("combined_payment_id")

    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("trade_reference")

    with op.batch_alter_table("combined_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_combined_payment_payer_subject"))

    op.drop_table("combined_payment")
