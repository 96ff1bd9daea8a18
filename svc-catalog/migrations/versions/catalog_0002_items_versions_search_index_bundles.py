"""Items, versions, the search index and one-thing bundles.

Partial unique indexes (WHERE is_current) work on PostgreSQL and SQLite alike.

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-11-27 21:48:41.625226
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0002"
down_revision: str | None = "catalog_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bundle_version",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("life_event", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_version")),
        sa.UniqueConstraint("code", "version", name="uq_bundle_version_code_version"),
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_bundle_version_idempotency"),
    )
    with op.batch_alter_table("bundle_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bundle_version_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_bundle_version_life_event"), ["life_event"], unique=False)
        batch_op.create_index(batch_op.f("ix_bundle_version_region"), ["region"], unique=False)
        batch_op.create_index(
            "uq_bundle_version_current",
            ["code"],
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )

    op.create_table(
        "item_version",
        sa.Column("implementation_code", sa.String(length=64), nullable=False),
        sa.Column("inherits", sa.String(length=64), nullable=True),
        sa.Column("basic_code", sa.String(length=12), nullable=False),
        sa.Column("item_type", sa.String(length=2), nullable=False),
        sa.Column("department_code", sa.String(length=18), nullable=False),
        sa.Column("department_name", sa.String(length=100), nullable=False),
        sa.Column("service_object", sa.String(length=16), nullable=False),
        sa.Column("fully_online", sa.Boolean(), nullable=False),
        sa.Column("online_level", sa.String(length=4), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_version")),
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_item_version_idempotency"),
        sa.UniqueConstraint("implementation_code", "version", name="uq_item_version_code_version"),
    )
    with op.batch_alter_table("item_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_version_basic_code"), ["basic_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_version_department_code"), ["department_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_version_implementation_code"), ["implementation_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_version_region"), ["region"], unique=False)
        batch_op.create_index(
            "uq_item_version_current",
            ["implementation_code"],
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )

    op.create_table(
        "item_life_event",
        sa.Column("life_event", sa.String(length=20), nullable=False),
        sa.Column("item_version_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_version.id"],
            name=op.f("fk_item_life_event_item_version_id_item_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("life_event", "item_version_id", name=op.f("pk_item_life_event")),
    )
    with op.batch_alter_table("item_life_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_life_event_item_version_id"), ["item_version_id"], unique=False)

    op.create_table(
        "item_term",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("item_version_id", sa.Uuid(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_version.id"],
            name=op.f("fk_item_term_item_version_id_item_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "item_version_id", name=op.f("pk_item_term")),
    )
    with op.batch_alter_table("item_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_term_item_version_id"), ["item_version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_term_item_version_id"))

    op.drop_table("item_term")
    with op.batch_alter_table("item_life_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_life_event_item_version_id"))

    op.drop_table("item_life_event")
    with op.batch_alter_table("item_version", schema=None) as batch_op:
        batch_op.drop_index("uq_item_version_current")
        batch_op.drop_index(batch_op.f("ix_item_version_region"))
        batch_op.drop_index(batch_op.f("ix_item_version_implementation_code"))
        batch_op.drop_index(batch_op.f("ix_item_version_department_code"))
        batch_op.drop_index(batch_op.f("ix_item_version_basic_code"))

    op.drop_table("item_version")
    with op.batch_alter_table("bundle_version", schema=None) as batch_op:
        batch_op.drop_index("uq_bundle_version_current")
        batch_op.drop_index(batch_op.f("ix_bundle_version_region"))
        batch_op.drop_index(batch_op.f("ix_bundle_version_life_event"))
        batch_op.drop_index(batch_op.f("ix_bundle_version_code"))

    op.drop_table("bundle_version")
