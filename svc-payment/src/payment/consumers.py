"""Event handlers: ``workflow.case.fee_requested`` creates the case's order (once per event)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.events import CloudEvent
from payment.events import FEE_REQUESTED, FeeRequested
from payment.orders import service

log = logging.getLogger(__name__)


class MalformedFeeRequest(ValueError):
    """The event does not follow the documented schema; it goes to the dead-letter topic."""


def fee_requested_handler(*, ttl_seconds: int) -> Callable[[AsyncSession, CloudEvent], Awaitable[None]]:
    async def on_fee_requested(session: AsyncSession, event: CloudEvent) -> None:
        if event.type != FEE_REQUESTED:
            return  # the topic carries every case event; only this one concerns payment
        try:
            request = FeeRequested.model_validate(event.data)
        except ValidationError as exc:
            raise MalformedFeeRequest(f"{FEE_REQUESTED} {event.id}: {exc.error_count()} invalid field(s)") from exc
        order, created = await service.create_order(
            session, request=request, source=f"event:{event.id}", ttl_seconds=ttl_seconds, actor=f"event:{event.source}"
        )
        log.info("fee request %s -> order %s (%s)", event.id, order.id, "created" if created else "existing")

    return on_fee_requested
