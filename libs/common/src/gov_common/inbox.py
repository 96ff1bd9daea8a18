"""Inbox: a consumer applies each event once, whatever the number of deliveries.

:func:`idempotent` wraps a handler ``(session, event) -> None``; the inbox row and the handler's writes
share one transaction, so an event either changed state and is recorded, or neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
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

    async def handle(event: CloudEvent, _delivery: Delivery) -> None:
        try:
            async with db.transaction() as session:
                seen = await session.scalar(
                    sa.select(inbox_event.c.event_id).where(
                        inbox_event.c.consumer == consumer, inbox_event.c.event_id == event.id
                    )
                )
                if seen is not None:
                    return
                await session.execute(
                    inbox_event.insert().values(
                        consumer=consumer, event_id=event.id, event_type=event.type, processed_at=utcnow()
                    )
                )
                await handler(session, event)
                staged = bool(session.info.get(PENDING_FLAG))
        except IntegrityError:
            # Another member recorded the same event concurrently: it is handled.
            already = await _is_recorded(db, consumer, event.id)
            if not already:
                raise
            return
        if staged and on_commit is not None:
            on_commit()

    return handle


async def _is_recorded(db: Database, consumer: str, event_id: str) -> bool:
    async with db.transaction() as session:
        found = await session.scalar(
            sa.select(inbox_event.c.event_id).where(
                inbox_event.c.consumer == consumer, inbox_event.c.event_id == event_id
            )
        )
    return found is not None
