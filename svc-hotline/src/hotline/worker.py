"""Background work of svc-hotline, each pass in its own transactions: escalate orders past due
(``hotline.order.overdue``, once per stay with a department), place new orders in the topic pool, and
recompute the pool every ``topic_recompute_seconds`` (segmentation and clustering in a process)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.db import Database
from gov_contracts import hotline as contract
from gov_contracts import publish
from gov_standards.china_time import china_date
from hotline import text
from hotline.deps import HotlineContext
from hotline.domain import Status
from hotline.models import Assignment, WorkOrder
from hotline.topics import service as topics

log = logging.getLogger(__name__)


@asynccontextmanager
async def dictionary_loaded() -> AsyncIterator[None]:
    """Load jieba's dictionary before the service takes requests (a second or two, holding the GIL): the
    first search does not pay for it, and no request waits behind it."""
    await asyncio.to_thread(text.warm_up)
    yield


async def escalate_overdue(session: AsyncSession, *, now: datetime, batch: int = 200) -> int:
    """Report the open stays past their due date (once each); returns how many."""
    rows = list(
        await session.execute(
            sa.select(Assignment, WorkOrder)
            .join(WorkOrder, WorkOrder.id == Assignment.order_id)
            .where(
                Assignment.ended.is_(None),
                Assignment.overdue_reported.is_(False),
                Assignment.due < china_date(now),
                WorkOrder.status.in_((Status.DISPATCHED, Status.SIGNED)),
            )
            .limit(batch)
            .with_for_update(skip_locked=True, of=Assignment)
        )
    )
    for assignment, order in rows:
        assignment.overdue_reported = True
        order.history = [
            *order.history,
            {"at": now.isoformat(), "by": "system", "action": "escalated", "note": f"due {assignment.due}"},
        ]
        await publish(
            session,
            contract.OrderOverdue(
                order_id=str(order.id), number=order.number, kind=order.kind, category=order.category,
                region=order.region, occurred_at=now, department=assignment.department, due=assignment.due,
            ),
        )  # fmt: skip
    return len(rows)


async def sweep(db: Database, context: HotlineContext) -> int:
    total = 0
    while True:
        async with db.transaction() as session:
            n = await escalate_overdue(session, now=context.now())
        total += n
        if n == 0:
            return total


class Worker:
    def __init__(self, db: Database, context: HotlineContext, *, wake: Callable[[], None] | None = None) -> None:
        self.db, self.context, self.wake = db, context, wake
        self._task: asyncio.Task[None] | None = None
        self._last_topics = 0.0

    async def once(self) -> None:
        if (n := await sweep(self.db, self.context)) and self.wake is not None:
            log.info("%d overdue order(s) escalated", n)
            self.wake()
        settings = self.context.settings
        if time.monotonic() - self._last_topics >= settings.topic_recompute_seconds or not self._last_topics:
            await topics.recompute(
                self.db,
                now=self.context.now(),
                window_days=settings.topic_window_days,
                max_orders=settings.topic_max_orders,
            )
            self._last_topics = time.monotonic()
        async with self.db.transaction() as session:
            await topics.place_new_orders(session)

    async def _run(self) -> None:
        while True:
            try:
                await self.once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hotline sweep failed")
            await asyncio.sleep(self.context.settings.worker_interval_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hotline-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
