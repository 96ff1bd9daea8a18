"""Background work of svc-evaluation: report rectifications whose reply is overdue; hand the hotline the
unanswered consultations asked before it took them over. The clock is the service's (injectable), so that
tests can move time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from evaluation.consultations.service import forward_earlier
from evaluation.deps import EvaluationContext
from evaluation.rectifications.service import mark_overdue
from gov_common.db import Database

log = logging.getLogger(__name__)


async def sweep(db: Database, context: EvaluationContext) -> int:
    """One pass, in batches, each in its own transaction; returns how many were reported or forwarded."""
    total = 0
    while True:
        async with db.transaction() as session:
            n = await mark_overdue(session, now=context.now())
            n += await forward_earlier(session)
        total += n
        if n == 0:
            return total


class Worker:
    def __init__(self, db: Database, context: EvaluationContext, *, wake: Callable[[], None] | None = None) -> None:
        self.db, self.context, self.wake = db, context, wake
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                if (n := await sweep(self.db, self.context)) and self.wake is not None:
                    log.info("%d overdue rectification(s) reported or consultation(s) forwarded", n)
                    self.wake()  # the outbox relay publishes now rather than at its next poll
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("overdue sweep failed")
            await asyncio.sleep(self.context.settings.worker_interval_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="evaluation-overdue-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
