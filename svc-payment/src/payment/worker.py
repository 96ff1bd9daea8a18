"""Background work of svc-payment: expire unpaid orders past their time and ask the channel about
pending orders whose notification did not come. Each order is settled in its own transaction under its
row lock, so a notification arriving at the same moment waits and then finds the final state."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import sqlalchemy as sa

from gov_common.db import Database
from gov_standards.china_time import utcnow
from payment.channels.base import ChannelError
from payment.deps import PaymentContext
from payment.domain import UNPAID, OrderStatus
from payment.models import PaymentOrder
from payment.orders import service

log = logging.getLogger(__name__)


async def expire_one(db: Database, context: PaymentContext, order_id: uuid.UUID) -> str:
    async with db.transaction() as session:
        order = await service.get_order(session, order_id, lock=True)
        return await service.expire_order(session, order=order, adapters=context.channels)


async def query_one(db: Database, context: PaymentContext, order_id: uuid.UUID) -> str:
    async with db.transaction() as session:
        order = await service.get_order(session, order_id, lock=True)
        if order.status not in (OrderStatus.PENDING, OrderStatus.FAILED) or order.channel not in context.channels:
            return order.status
        await service.settle_with_channel(
            session,
            order=order,
            adapter=context.channels[order.channel],
            close=False,
            actor="system:query",
            cause="channel_query",
        )
        return order.status


async def sweep(db: Database, context: PaymentContext, *, batch: int = 100) -> dict[str, int]:
    """One pass: expire what is due, query what is late. Returns counts (for tests and logs)."""
    now = utcnow()
    quiet_since = now - timedelta(seconds=context.settings.query_after_seconds)
    async with db.transaction() as session:
        due = list(
            await session.scalars(
                sa.select(PaymentOrder.id)
                .where(PaymentOrder.status.in_([str(s) for s in UNPAID]), PaymentOrder.expires_at <= now)
                .limit(batch)
            )
        )
        late = list(
            await session.scalars(
                sa.select(PaymentOrder.id)
                .where(
                    PaymentOrder.status.in_([str(OrderStatus.PENDING), str(OrderStatus.FAILED)]),
                    PaymentOrder.channel.is_not(None),
                    PaymentOrder.expires_at > now,
                    sa.func.coalesce(PaymentOrder.last_queried_at, PaymentOrder.updated_at) <= quiet_since,
                )
                .limit(batch)
            )
        )
    counts = {"expired": 0, "paid": 0, "queried": 0, "errors": 0}
    for order_id in due:
        try:
            status = await expire_one(db, context, order_id)
        except ChannelError as exc:
            counts["errors"] += 1
            log.warning("expiring order %s: channel error %s", order_id, exc)
            continue
        except Exception:
            # One order that cannot be settled must not hold up every other expiry of the pass.
            counts["errors"] += 1
            log.exception("expiring order %s failed", order_id)
            continue
        counts["expired" if status == OrderStatus.EXPIRED else "paid" if status == OrderStatus.PAID else "errors"] += 1
    for order_id in late:
        try:
            status = await query_one(db, context, order_id)
        except ChannelError as exc:
            counts["errors"] += 1
            log.warning("querying order %s: channel error %s", order_id, exc)
            continue
        except Exception:
            counts["errors"] += 1
            log.exception("querying order %s failed", order_id)
            continue
        counts["queried"] += 1
        counts["paid"] += status == OrderStatus.PAID
    return counts


class Worker:
    def __init__(self, db: Database, context: PaymentContext) -> None:
        self.db, self.context = db, context
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                await sweep(self.db, self.context)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("payment sweep failed")
            await asyncio.sleep(self.context.settings.worker_interval_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="payment-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
