"""Inbox: a consumer applies each event once, whatever the number of deliveries.

:func:`idempotent` wraps a handler ``(session, event) -> None``; the inbox row and the handler's writes
share one transaction, so an event either changed state and is recorded, or neither. Several events may
share one transaction (a batch): then all of them are applied and recorded, or none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import sqlalchemy as sa
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

    async def _claim(self, session: AsyncSession, event_ids: Sequence[str], types: dict[str, str]) -> set[str]:
        """Record ``event_ids`` in the inbox in one statement; the ids that were new (the others were seen
        before, or are being applied by another member right now, which holds their row locks until it ends)."""
        now = utcnow()
        rows = [
            {"consumer": self.consumer, "event_id": event_id, "event_type": types[event_id], "processed_at": now}
            for event_id in event_ids
        ]
        statement = self._insert(inbox_event).on_conflict_do_nothing().returning(inbox_event.c.event_id)
        return set((await session.scalars(statement, rows if len(rows) > 1 else rows[0])).all())

    @asynccontextmanager
    async def batch(self, events: Sequence[CloudEvent] = ()) -> AsyncIterator[Handler]:
        """One transaction: each event given to the yielded handler is applied in it, once; all commit when
        the block ends, none if it raises. ``events``, the ones about to be given, are recorded in the inbox
        together first (one statement instead of one per event); those of them not given after all (the
        batch stopped early) are forgotten again before the commit, so that they are applied later."""
        async with self.db.transaction() as session:
            types = {event.id: event.type for event in events}
            # Sorted ids: two members claiming overlapping batches lock inbox rows in the same order (no deadlock).
            claimed = await self._claim(session, sorted(types), types) if types else set()

            async def each(event: CloudEvent, _delivery: Delivery) -> None:
                if event.id in types:
                    if event.id not in claimed:
                        return  # seen before, or earlier in this batch
                    claimed.discard(event.id)
                elif not await self._claim(session, [event.id], {event.id: event.type}):
                    return  # seen before (or by another member right now, which then holds the row lock)
                await self.handler(session, event)

            yield each
            if claimed:
                await session.execute(
                    sa.delete(inbox_event).where(
                        inbox_event.c.consumer == self.consumer, inbox_event.c.event_id.in_(claimed)
                    )
                )
            staged = bool(session.info.get(PENDING_FLAG))
        if staged and self.on_commit is not None:
            self.on_commit()


def idempotent(
    db: Database, consumer: str, handler: SessionHandler, *, on_commit: Callable[[], None] | None = None
) -> Idempotent:
    """``handler`` applied once per event id for ``consumer`` (see :class:`Idempotent`)."""
    return Idempotent(db, consumer, handler, on_commit=on_commit)
