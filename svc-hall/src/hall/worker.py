"""Background work of svc-hall: expire no-shows (tickets called and never answered within their queue's
``no_show_minutes``, tickets still waiting when their day is over). The clock is the service's
(injectable), so that tests can move time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from gov_common.db import Database
from hall.deps import HallContext
from hall.tickets.service import expire_no_shows

log = logging.getLogger(__name__)


async def sweep(db: Database, context: HallContext) -> int:
    """One pass, in batches, each in its own transaction; returns how many tickets expired."""
    total = 0
    while True:
        async with db.transaction() as session:
            n = len(await expire_no_shows(session, now=context.now()))
        total += n
        if n == 0:
            return total


async def keep_sweeping(db: Database, context: HallContext, wake: Callable[[], None] | None = None) -> None:
    while True:
        try:
            if (n := await sweep(db, context)) and wake is not None:
                log.info("%d no-show ticket(s) expired", n)
                wake()  # the outbox relay publishes now rather than at its next poll
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("no-show sweep failed")
        await asyncio.sleep(context.settings.worker_interval_seconds)
