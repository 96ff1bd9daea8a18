"""Event handlers, one per consumed type, each in its own transaction, once per event id (inbox).

``catalog.item.published`` keeps the item read model; ``application.submitted`` opens a case;
``application.supplemented`` restarts the clock and acceptance; ``application.withdrawn`` ends a case;
``payment.order.paid`` restarts the clock and announces the approval.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.events import CloudEvent
from workflow import events
from workflow.calendars.service import load as load_calendar
from workflow.cases import service
from workflow.clock import Clock
from workflow.items.service import keep_item

log = logging.getLogger(__name__)
Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)


class MalformedEvent(ValueError):
    """The event does not follow the documented shape; after the retries it goes to the dead-letter topic."""


def _parse(model: type[M], event: CloudEvent) -> M:
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: {exc.error_count()} invalid field(s)") from exc


def catalog_handler() -> Handler:
    async def on_catalog(session: AsyncSession, event: CloudEvent) -> None:
        if event.type != events.ITEM_PUBLISHED:
            return  # withdrawals stop new applications upstream; open cases keep their version
        try:
            await keep_item(session, event.data)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent(f"{event.type} {event.id}: {exc!r}") from exc

    return on_catalog


def applications_handler(clock: Clock) -> Handler:
    async def on_application(session: AsyncSession, event: CloudEvent) -> None:
        now = clock.now()
        if event.type == events.APPLICATION_SUBMITTED:
            submitted = _parse(events.ApplicationSubmitted, event)
            calendar = await load_calendar(session)
            case = await service.open_case(session, submitted=submitted, calendar=calendar, now=now)
            log.info("application event %s: %s", event.id, f"case {case.id} opened" if case else "case exists")
        elif event.type == events.APPLICATION_SUPPLEMENTED:
            supplemented = _parse(events.ApplicationSupplemented, event)
            calendar = await load_calendar(session)
            await service.on_supplemented(session, supplemented=supplemented, calendar=calendar, now=now)
        elif event.type == events.APPLICATION_WITHDRAWN:
            withdrawn = _parse(events.ApplicationWithdrawn, event)
            calendar = await load_calendar(session)
            await service.on_withdrawn(session, withdrawn=withdrawn, calendar=calendar, now=now)

    return on_application


def payments_handler(clock: Clock) -> Handler:
    async def on_payment(session: AsyncSession, event: CloudEvent) -> None:
        if event.type != events.ORDER_PAID:
            return
        paid = _parse(events.OrderPaid, event)
        calendar = await load_calendar(session)
        await service.on_paid(session, paid=paid, calendar=calendar, now=clock.now())

    return on_payment
