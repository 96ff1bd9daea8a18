"""Event handlers: ``workflow.case.fee_requested`` creates the case's order (once per event)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.workflow import FeeRequested
from payment.orders import service

log = logging.getLogger(__name__)

FEE_REQUESTS_GROUP = "payment.fee-requests"


def handlers(*, ttl_seconds: int) -> EventHandlers:
    """payment's consumer group; an order opened from a fee request stays payable ``ttl_seconds``."""
    group = EventHandlers(group=FEE_REQUESTS_GROUP)

    @group.on(FeeRequested)
    async def fee_requested(session: AsyncSession, event: FeeRequested, envelope: CloudEvent) -> None:
        order, created = await service.create_order(
            session,
            request=event,
            source=f"event:{envelope.id}",
            ttl_seconds=ttl_seconds,
            actor=f"event:{envelope.source}",
        )
        log.info("fee request %s -> order %s (%s)", envelope.id, order.id, "created" if created else "existing")

    return group
