"""Event handlers: the platform calendar (working days for deadlines); ``evaluation.consultation.submitted``:
a consultation or complaint filed in svc-evaluation becomes a work order (小热线融合), once however often the
event arrives, and ``evaluation.consultation.rated``: the asker's rating of its answer is the order's
callback (回访); ``exchange.hotline.reply_received``: a city's hotline answered, closed or returned an order
forwarded to it."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.calendars import load_calendar
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers
from gov_contracts.calendar import calendar_handlers
from gov_contracts.evaluation import ConsultationRated, ConsultationSubmitted
from gov_contracts.exchange import HotlineReplyReceived
from hotline.orders.forwarding import city_replied, consultation_rated
from hotline.orders.service import take_consultation
from hotline.settings import Settings

log = logging.getLogger(__name__)

CALENDAR = calendar_handlers("hotline.calendar")


def consultation_handlers(settings: Settings) -> EventHandlers:
    handlers = EventHandlers(group="hotline.consultations")

    @handlers.on(ConsultationSubmitted)
    async def consultation_submitted(
        session: AsyncSession, submitted: ConsultationSubmitted, envelope: CloudEvent
    ) -> None:
        calendar = await load_calendar(session)
        order = await take_consultation(session, submitted, number_prefix=settings.number_prefix, calendar=calendar)
        if order is not None:
            log.info("consultation %s is work order %s", submitted.consultation_id, order.number)

    @handlers.on(ConsultationRated)
    async def rated(session: AsyncSession, rated: ConsultationRated, envelope: CloudEvent) -> None:
        await consultation_rated(session, rated, calendar=await load_calendar(session))

    return handlers


CITY_REPLIES = EventHandlers(group="hotline.city_replies")


@CITY_REPLIES.on(HotlineReplyReceived)
async def reply_received(session: AsyncSession, reply: HotlineReplyReceived, envelope: CloudEvent) -> None:
    order = await city_replied(session, reply)
    if order is not None:
        log.info("order %s: %s by the hotline of %s", order.number, reply.outcome, reply.city)
