"""Inbox: a consumer applies each event once, whatever the number of deliveries.

:func:`idempotent` wraps a handler ``(session, event) -> None``; the inbox row and the handler's writes
share one transaction, so an event either changed state and is recorded, or neither. Several events may
share one transaction (a batch): then all of them are applied and recorded, or none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.bus import Delivery, Handler
from gov_common.db import Database
from gov_common.events import CloudEvent
from gov_common.messaging import inbox_event
from gov_common.outbox import PENDING_FLAG
from gov_standards.china_time import utcnow

SessionHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class Idempotent:
    """A bus handler (a :class:`~gov_common.bus.BatchHandler`) that runs ``handler`` once per event id for the
    consumer named ``consumer``: alone, or with other events in one transaction (:meth:`batch`).

    ``on_commit`` is called after a commit that staged outbox events (to wake the relay).
    """

    def __init__(
        self, db: Database, consumer: str, handler: SessionHandler, *, on_commit: Callable[[], None] | None = None
    ) -> None:
        self.db, self.consumer, self.handler, self.on_commit = db, consumer, handler, on_commit
        self._insert = pg_insert if db.is_postgres else sqlite_insert

    async def __call__(self, event: CloudEvent, delivery: Delivery, /) -> None:
        async with self.batch() as each:
            await each(event, delivery)

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[Handler]:
        """One transaction: each event given to the yielded handler is applied in it, once; all commit when
        the block ends, none if it raises."""
        async with self.db.transaction() as session:

            async def each(event: CloudEvent, _delivery: Delivery) -> None:
                recorded = await session.execute(
                    self._insert(inbox_event)
                    .values(consumer=self.consumer, event_id=event.id, event_type=event.type, processed_at=utcnow())
                    .on_conflict_do_nothing()
                )
                if getattr(recorded, "rowcount", 1) == 0:
                    return  # seen before (or by another member right now, which then holds the row lock)
                await self.handler(session, event)

            yield each
            staged = bool(session.info.get(PENDING_FLAG))
        if staged and self.on_commit is not None:
            self.on_commit()


def idempotent(
    db: Database, consumer: str, handler: SessionHandler, *, on_commit: Callable[[], None] | None = None
) -> Idempotent:
    """``handler`` applied once per event id for ``consumer`` (see :class:`Idempotent`)."""
    return Idempotent(db, consumer, handler, on_commit=on_commit)
