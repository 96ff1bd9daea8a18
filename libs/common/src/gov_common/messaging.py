"""Tables of the transactional outbox and the consumer inbox, present in every service's database.

They live in their own :class:`MetaData`; a service's Alembic environment targets both its own metadata
and this one, and its first migration calls :func:`create_tables`.
"""

from __future__ import annotations

import sqlalchemy as sa

from gov_common.db import UtcDateTime, new_metadata

metadata = new_metadata()

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

outbox_event = sa.Table(
    "outbox_event",
    metadata,
    sa.Column("seq", _BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("time", UtcDateTime(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("traceparent", sa.String(100)),
    sa.Column("tracestate", sa.String(500)),
    # The contract and its version (CloudEvents dataschema); added by each service's migration "event_dataschema".
    sa.Column("dataschema", sa.String(200)),
    sa.Column("published_at", UtcDateTime()),
    sa.Index(
        "ix_outbox_event_unpublished",
        "seq",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

inbox_event = sa.Table(
    "inbox_event",
    metadata,
    sa.Column("consumer", sa.String(200), primary_key=True),
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("processed_at", UtcDateTime(), nullable=False),
)


def create_tables() -> None:
    """Create both tables from inside an Alembic migration (``upgrade``)."""
    from alembic import op

    bind = op.get_bind()
    metadata.create_all(bind, tables=[outbox_event, inbox_event])


def add_dataschema_column() -> None:
    """Add ``outbox_event.dataschema`` from inside a migration, unless :func:`create_tables` (which creates the
    current tables) already made it in this database."""
    from alembic import op

    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("outbox_event")}
    if "dataschema" not in columns:
        op.add_column("outbox_event", sa.Column("dataschema", sa.String(200)))


def drop_dataschema_column() -> None:
    """Undo :func:`add_dataschema_column` (``downgrade``)."""
    from alembic import op

    with op.batch_alter_table("outbox_event") as batch:
        batch.drop_column("dataschema")


def drop_tables() -> None:
    """Drop both tables from inside an Alembic migration (``downgrade``)."""
    from alembic import op

    metadata.drop_all(op.get_bind(), tables=[inbox_event, outbox_event])
