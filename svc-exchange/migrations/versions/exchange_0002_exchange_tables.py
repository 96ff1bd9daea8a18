"""Exchange tables: system registry, catalog change log, case records, legacy licenses, webhooks,
national rows and batches, shared datasets and requests, and the hash-chained access audit.

Revision ID: exchange_0002
Revises: exchange_0001
Create Date: 2026-11-27 22:20:19.195271
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "exchange_0002"
down_revision: str | None = "exchange_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "access_audit",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("consumer_department", sa.String(length=18), nullable=True),
        sa.Column("dataset_code", sa.String(length=50), nullable=True),
        sa.Column("owner_department", sa.String(length=18), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_audit")),
        sa.UniqueConstraint("hash", name=op.f("uq_access_audit_hash")),
    )
    with op.batch_alter_table("access_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_audit_dataset_code"), ["dataset_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_audit_owner_department"), ["owner_department"], unique=False)

    op.create_table(
        "case_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("item_code", sa.String(length=200), nullable=False),
        sa.Column("item_name", sa.String(length=300), nullable=True),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=18), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("applicant_id_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_record")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_case_record_source")),
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_record_region"), ["region"], unique=False)

    op.create_table(
        "catalog_change",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("implementation_code", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_catalog_change")),
        sa.UniqueConstraint("event_id", name=op.f("uq_catalog_change_event_id")),
    )
    with op.batch_alter_table("catalog_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_change_implementation_code"), ["implementation_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalog_change_region"), ["region"], unique=False)

    op.create_table(
        "external_system",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=18), nullable=True),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_system")),
        sa.UniqueConstraint("client_id", name=op.f("uq_external_system_client_id")),
        sa.UniqueConstraint("identifier", name=op.f("uq_external_system_identifier")),
    )
    op.create_table(
        "legacy_license",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("legacy_id", sa.String(length=100), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("type_code", sa.String(length=50), nullable=False),
        sa.Column("type_name", sa.String(length=200), nullable=False),
        sa.Column("issuer_code", sa.String(length=18), nullable=False),
        sa.Column("holder_id_type", sa.String(length=20), nullable=False),
        sa.Column("holder_id_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.String(length=10), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_license")),
        sa.UniqueConstraint("legacy_id", name=op.f("uq_legacy_license_legacy_id")),
    )
    op.create_table(
        "national_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=50), nullable=False),
        sa.Column("receipt", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_batch")),
    )
    op.create_table(
        "national_row",
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("dataset", sa.String(length=30), nullable=False),
        sa.Column("operation", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("row_id", name=op.f("pk_national_row")),
        sa.UniqueConstraint("event_id", name=op.f("uq_national_row_event_id")),
    )
    with op.batch_alter_table("national_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_national_row_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "shared_dataset",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_department", sa.String(length=18), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("key_field", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_shared_dataset")),
    )
    op.create_table(
        "shared_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dataset_code", sa.String(length=50), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_code"], ["shared_dataset.code"], name=op.f("fk_shared_record_dataset_code_shared_dataset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_record")),
        sa.UniqueConstraint("dataset_code", "record_key", name=op.f("uq_shared_record_dataset_code")),
    )
    op.create_table(
        "sharing_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dataset_code", sa.String(length=50), nullable=False),
        sa.Column("consumer_department", sa.String(length=18), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_code"], ["shared_dataset.code"], name=op.f("fk_sharing_request_dataset_code_shared_dataset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_request")),
    )
    with op.batch_alter_table("sharing_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_request_consumer_department"), ["consumer_department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sharing_request_dataset_code"), ["dataset_code"], unique=False)

    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("system_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["external_system.id"], name=op.f("fk_webhook_subscription_system_id_external_system")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_subscription_system_id"), ["system_id"], unique=False)

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("subscription_id", "event_id", name=op.f("uq_webhook_delivery_subscription_id")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_delivery_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_delivery_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_delivery_subscription_id"), ["subscription_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_status"))
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_next_attempt_at"))

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscription_system_id"))

    op.drop_table("webhook_subscription")
    with op.batch_alter_table("sharing_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_request_dataset_code"))
        batch_op.drop_index(batch_op.f("ix_sharing_request_consumer_department"))

    op.drop_table("sharing_request")
    op.drop_table("shared_record")
    op.drop_table("shared_dataset")
    with op.batch_alter_table("national_row", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_national_row_batch_id"))

    op.drop_table("national_row")
    op.drop_table("national_batch")
    op.drop_table("legacy_license")
    op.drop_table("external_system")
    with op.batch_alter_table("catalog_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_change_region"))
        batch_op.drop_index(batch_op.f("ix_catalog_change_implementation_code"))

    op.drop_table("catalog_change")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_record_region"))

    op.drop_table("case_record")
    with op.batch_alter_table("access_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_audit_owner_department"))
        batch_op.drop_index(batch_op.f("ix_access_audit_dataset_code"))

    op.drop_table("access_audit")
