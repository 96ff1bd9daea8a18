"""Inbox: a consumer applies each event once, whatever the number of deliveries.

:func:`idempotent` wraps a handler ``(session, event) -> None``; the inbox row and the handler's writes
share one transaction, so an event either changed state and is recorded, or neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import Delivery, Handler
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.messaging import inbox_event, utcnow
from gov_common.outbox import PENDING_FLAG

SessionHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


def idempotent(
    db: Database, consumer: str, handler: SessionHandler, *, on_commit: Callable[[], None] | None = None
) -> Handler:
    """A bus handler that runs ``handler`` once per event id for the consumer named ``consumer``.

    ``on_commit`` is called after a commit that staged outbox events (to wake the relay).
    """

    insert = pg_insert if db.is_postgres else sqlite_insert

    async def handle(event: CloudEvent, _delivery: Delivery) -> None:
        async with db.transaction() as session:
            recorded = await session.execute(
                insert(inbox_event)
                .values(consumer=consumer, event_id=event.id, event_type=event.type, processed_at=utcnow())
                .on_conflict_do_nothing()
            )
            if getattr(recorded, "rowcount", 1) == 0:
                return  # seen before (or by another member right now, which then holds the row lock)
            await handler(session, event)
            staged = bool(session.info.get(PENDING_FLAG))
        if staged and on_commit is not None:
            on_commit()

    return handle
