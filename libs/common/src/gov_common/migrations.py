"""Alembic, one environment per service, run at start-up (embedded default) or as a Job (production).

A service's ``migrations/env.py`` is two lines: import its metadata and call :func:`run_env`. The outbox
and inbox tables (:mod:`gov_common.messaging`) are part of every service's target metadata.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gov_common import messaging
from gov_common.db import Database

MIGRATION_LOCK_KEY = 0x6D696772  # "migr"


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _configure_and_run(connection: Connection, targets: list[MetaData]) -> None:
    context.configure(
        connection=connection,
        target_metadata=targets,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(service_metadata: MetaData | None, *shared: MetaData) -> None:
    """Body of a service's ``env.py``; ``shared``: the metadata of gov_common tables the service also keeps
    (e.g. ``gov_common.calendars.metadata``), so that autogenerate neither misses nor drops them."""
    targets = [m for m in (service_metadata, messaging.metadata, *shared) if m is not None]
    config = context.config
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=targets, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, targets)
        return

    async def _online() -> None:
        engine = create_async_engine(str(config.get_main_option("sqlalchemy.url")), poolclass=NullPool)
        async with engine.begin() as conn:
            await conn.run_sync(_configure_and_run, targets)
        await engine.dispose()

    asyncio.run(_online())


async def upgrade(db: Database, migrations_dir: Path, revision: str = "head") -> None:
    """Upgrade ``db`` to ``revision``; on PostgreSQL one replica at a time (advisory lock)."""
    cfg = alembic_config(migrations_dir, db.url.render_as_string(hide_password=False))

    def _upgrade(sync_conn: Connection) -> None:
        if sync_conn.dialect.name == "postgresql":
            sync_conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)
