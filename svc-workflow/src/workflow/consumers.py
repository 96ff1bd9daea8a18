"""The events svc-workflow reads, one typed handler each (gov_contracts), once per event id (inbox), in the
consumer's transaction: ``catalog.item.published`` keeps the item read model; ``application.submitted``
opens a case; ``application.supplemented`` restarts the clock and acceptance; ``application.withdrawn`` ends
a case; ``payment.order.paid`` restarts the clock and announces the approval; ``exchange.case.synced`` keeps the
cases city platforms push, for supervision. Other types on these topics
(withdrawn items, bundles, refunds...) are not read: an open case keeps the item version it was opened on.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.application import ApplicationSubmitted, ApplicationSupplemented, ApplicationWithdrawn
from gov_contracts.catalog import ItemPublished
from gov_contracts.exchange import CaseSynced
from gov_contracts.payment import OrderPaid
from workflow.calendars.service import load as load_calendar
from workflow.cases import service
from workflow.clock import Clock
from workflow.items.service import keep_item
from workflow.supervision import external

log = logging.getLogger(__name__)


def handlers(clock: Clock) -> list[EventHandlers]:
    """The service's consumer groups, reading the business time from ``clock`` (tests move it)."""
    items = EventHandlers(group="workflow.items")
    applications = EventHandlers(group="workflow.applications")
    payments = EventHandlers(group="workflow.payments")
    pushed = EventHandlers(group="workflow.pushed_cases")

    @items.on(ItemPublished)
    async def item_published(session: AsyncSession, event: ItemPublished, envelope: CloudEvent) -> None:
        await keep_item(session, event)

    @applications.on(ApplicationSubmitted)
    async def submitted(session: AsyncSession, event: ApplicationSubmitted, envelope: CloudEvent) -> None:
        calendar = await load_calendar(session)
        case = await service.open_case(session, submitted=event, calendar=calendar, now=clock.now())
        log.info("application event %s: %s", envelope.id, f"case {case.id} opened" if case else "case exists")

    @applications.on(ApplicationSupplemented)
    async def supplemented(session: AsyncSession, event: ApplicationSupplemented, envelope: CloudEvent) -> None:
        calendar = await load_calendar(session)
        await service.on_supplemented(session, supplemented=event, calendar=calendar, now=clock.now())

    @applications.on(ApplicationWithdrawn)
    async def withdrawn(session: AsyncSession, event: ApplicationWithdrawn, envelope: CloudEvent) -> None:
        calendar = await load_calendar(session)
        await service.on_withdrawn(session, withdrawn=event, calendar=calendar, now=clock.now())

    @payments.on(OrderPaid)
    async def paid(session: AsyncSession, event: OrderPaid, envelope: CloudEvent) -> None:
        calendar = await load_calendar(session)
        await service.on_paid(session, paid=event, calendar=calendar, now=clock.now())

    @pushed.on(CaseSynced)
    async def synced(session: AsyncSession, event: CaseSynced, envelope: CloudEvent) -> None:
        calendar = await load_calendar(session)
        await external.keep(session, synced=event, calendar=calendar, now=clock.now())

    return [items, applications, payments, pushed]
