"""Work orders, their stays with departments, callbacks, hand-overs, dispatch rules and categories, the
knowledge base, the topic pool; idempotency records and the received working-day calendar.

Revision ID: hotline_0002
Revises: hotline_0001
Create Date: 2026-12-07 13:17:41.470747
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gov_common import calendars, idempotency

revision: str = "hotline_0002"
down_revision: str | None = "hotline_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    idempotency.create_record_table()
    calendars.create_tables()
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.create_table(
        "dispatch_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("department_name", sa.String(length=200), nullable=False),
        sa.Column("department_region", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_rule")),
        sa.UniqueConstraint("category", "region", name=op.f("uq_dispatch_rule_category")),
    )
    with op.batch_alter_table("dispatch_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_rule_category"), ["category"], unique=False)

    op.create_table(
        "knowledge_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("owner_department", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_entry")),
        sa.UniqueConstraint("title", name=op.f("uq_knowledge_entry_title")),
    )
    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_entry_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_entry_owner_department"), ["owner_department"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_entry_status"), ["status"], unique=False)

    op.create_table(
        "topic_model",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("idf", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_model")),
    )
    with op.batch_alter_table("topic_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_model_computed_at"), ["computed_at"], unique=False)

    op.create_table(
        "work_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("caller_phone", sa.Text(), nullable=True),
        sa.Column("caller_phone_index", sa.String(length=64), nullable=True),
        sa.Column("caller_phone_masked", sa.String(length=20), nullable=False),
        sa.Column("caller_name", sa.Text(), nullable=True),
        sa.Column("caller_name_masked", sa.String(length=20), nullable=False),
        sa.Column("caller_subject", sa.String(length=200), nullable=True),
        sa.Column("recording_ref", sa.String(length=200), nullable=True),
        sa.Column("source_system", sa.String(length=200), nullable=True),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=True),
        sa.Column("department_region", sa.String(length=12), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("extension_request", sa.JSON(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("knowledge_entry_id", sa.Uuid(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("transfer_count", sa.Integer(), nullable=False),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("topic_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("number", name=op.f("uq_work_order_number")),
    )
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_order_caller_phone_index"), ["caller_phone_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_caller_subject"), ["caller_subject"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_order_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_in_time", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
        sa.Column("ended", sa.String(length=20), nullable=True),
        sa.Column("overdue_reported", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"], name=op.f("fk_assignment_order_id_work_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_assigned_on"), ["assigned_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_region"), ["region"], unique=False)

    op.create_table(
        "hand_over",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"], name=op.f("fk_hand_over_order_id_work_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hand_over")),
    )
    with op.batch_alter_table("hand_over", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hand_over_order_id"), ["order_id"], unique=False)

    op.create_table(
        "topic",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("representatives", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["topic_model.id"], name=op.f("fk_topic_model_id_topic_model")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic")),
    )
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_model_id"), ["model_id"], unique=False)

    op.create_table(
        "callback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignment.id"], name=op.f("fk_callback_assignment_id_assignment")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["work_order.id"], name=op.f("fk_callback_order_id_work_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback")),
    )
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_on"), ["on"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_region"), ["region"], unique=False)


def downgrade() -> None:
    calendars.drop_tables()
    idempotency.drop_record_table()
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_region"))
        batch_op.drop_index(batch_op.f("ix_callback_order_id"))
        batch_op.drop_index(batch_op.f("ix_callback_on"))
        batch_op.drop_index(batch_op.f("ix_callback_department"))

    op.drop_table("callback")
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_model_id"))

    op.drop_table("topic")
    with op.batch_alter_table("hand_over", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hand_over_order_id"))

    op.drop_table("hand_over")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_region"))
        batch_op.drop_index(batch_op.f("ix_assignment_order_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_department"))
        batch_op.drop_index(batch_op.f("ix_assignment_assigned_on"))

    op.drop_table("assignment")
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_order_topic_id"))
        batch_op.drop_index(batch_op.f("ix_work_order_status"))
        batch_op.drop_index(batch_op.f("ix_work_order_region"))
        batch_op.drop_index(batch_op.f("ix_work_order_kind"))
        batch_op.drop_index(batch_op.f("ix_work_order_due"))
        batch_op.drop_index(batch_op.f("ix_work_order_department"))
        batch_op.drop_index(batch_op.f("ix_work_order_created_at"))
        batch_op.drop_index(batch_op.f("ix_work_order_category"))
        batch_op.drop_index(batch_op.f("ix_work_order_caller_subject"))
        batch_op.drop_index(batch_op.f("ix_work_order_caller_phone_index"))

    op.drop_table("work_order")
    with op.batch_alter_table("topic_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_model_computed_at"))

    op.drop_table("topic_model")
    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_entry_status"))
        batch_op.drop_index(batch_op.f("ix_knowledge_entry_owner_department"))
        batch_op.drop_index(batch_op.f("ix_knowledge_entry_category"))

    op.drop_table("knowledge_entry")
    with op.batch_alter_table("dispatch_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_rule_category"))

    op.drop_table("dispatch_rule")
    op.drop_table("category")
