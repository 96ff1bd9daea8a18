"""12345 work orders forwarded to city platforms (大热线对接): a forwarded order is delivered by webhook to
the one active city platform of its city subscribed to ``hotline.order.forwarded`` (signed, retried,
dead-lettered, as every webhook), or returned to the hotline at once when there is none; the platform's
signed reply (answered, closed, returned) moves the forward on and goes to the hotline as
``exchange.hotline.reply_received``. Functions flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from exchange.errors import ForwardEnded, ForwardNotFound, InvalidReply, ReplySignatureInvalid
from exchange.hotline.schemas import ReplyIn
from exchange.keyring import WebhookSecrets
from exchange.models import ExternalSystem, HotlineForward, WebhookSubscription
from exchange.webhooks.service import fan_out
from gov_common.events import CloudEvent
from gov_contracts import publish
from gov_contracts.exchange import HotlineReplyReceived
from gov_contracts.hotline import OrderForwarded
from gov_standards.regions import region_covers

FORWARDED = "hotline.order.forwarded"
# What each reply may follow: the forward's status -> the outcomes it takes.
NEXT: dict[str, frozenset[str]] = {
    "forwarded": frozenset({"answered", "closed", "returned"}),
    "answered": frozenset({"closed"}),
}
NO_PLATFORM = "no active city platform of that city takes forwarded 12345 orders"


async def _city_platforms(session: AsyncSession, city: str, region: str) -> list[ExternalSystem]:
    """Active city platforms registered for ``city`` (their region's first six digits), covering ``region``,
    with an active subscription to forwarded orders; oldest registration first."""
    systems = await session.scalars(
        sa.select(ExternalSystem)
        .where(ExternalSystem.kind == "city_platform", ExternalSystem.active.is_(True))
        .order_by(ExternalSystem.created_at)
    )
    return [
        s
        for s in systems
        if s.region[:6] == city and region_covers(s.region, region) and await _subscriptions(session, s)
    ]


async def _subscriptions(session: AsyncSession, system: ExternalSystem) -> list[WebhookSubscription]:
    rows = await session.scalars(
        sa.select(WebhookSubscription).where(
            WebhookSubscription.system_id == system.id, WebhookSubscription.active.is_(True)
        )
    )
    return [s for s in rows if FORWARDED in s.event_types]


async def forwarded(session: AsyncSession, event: OrderForwarded, envelope: CloudEvent) -> HotlineForward:
    """Deliver a forwarded order to its city's platform, or return it to the hotline when the city has
    none (several: the one registered first)."""
    platforms = await _city_platforms(session, event.city, event.region)
    system = platforms[0] if platforms else None
    forward = HotlineForward(
        id=uuid.uuid4(),
        order_id=uuid.UUID(event.order_id),
        number=event.number,
        region=event.region,
        city=event.city,
        system_id=system.id if system else None,
        status="forwarded" if system else "returned",
        forwarded_at=event.occurred_at,
        event_id=envelope.id,
    )
    session.add(forward)
    await session.flush()
    if system is not None:
        await fan_out(session, envelope, only_system=system.identifier)
        return forward
    forward.replied_at = event.occurred_at
    await publish(
        session,
        HotlineReplyReceived(
            order_id=event.order_id, number=event.number, city=event.city, system=None,
            reply_id=f"exchange:{envelope.id}", outcome="returned", reason=NO_PLATFORM, replied_at=event.occurred_at,
        ),
    )  # fmt: skip
    return forward


async def verify_signature(
    session: AsyncSession, ring: WebhookSecrets, system: ExternalSystem, body: bytes, headers: Mapping[str, str]
) -> None:
    """The reply is signed (Standard Webhooks, as exchange signs its deliveries) with the secret of one of
    the system's subscriptions to forwarded orders; else ReplySignatureInvalid."""
    for sub in await _subscriptions(session, system):
        secret = ring.readable_secret(sub)
        if not isinstance(secret, str):
            continue
        try:
            Webhook(secret).verify(body, dict(headers))
            return
        except WebhookVerificationError:
            continue
    raise ReplySignatureInvalid()


async def reply(
    session: AsyncSession,
    *,
    system: ExternalSystem,
    order_id: uuid.UUID,
    reply_in: ReplyIn,
    reply_id: str,
    now: datetime,
) -> HotlineForward:
    """Apply the city's reply to the latest forward of ``order_id`` to ``system`` (another system's, or an
    unknown order: not found) and tell the hotline."""
    forward = await session.scalar(
        sa.select(HotlineForward)
        .where(HotlineForward.order_id == order_id, HotlineForward.system_id == system.id)
        .order_by(HotlineForward.forwarded_at.desc())
        .limit(1)
        .with_for_update()
    )
    if forward is None:
        raise ForwardNotFound()
    if reply_in.outcome not in NEXT.get(forward.status, frozenset()):
        raise ForwardEnded(f"the order is {forward.status} here", current_status=forward.status)
    needs_answer = reply_in.outcome == "answered" or (reply_in.outcome == "closed" and forward.status == "forwarded")
    if needs_answer and not reply_in.answer:
        raise InvalidReply("an answer is required", outcome=reply_in.outcome)
    if reply_in.outcome == "returned" and not reply_in.reason:
        raise InvalidReply("a returned order says why (reason)")
    forward.status, forward.replied_at = reply_in.outcome, now
    forward.answer = reply_in.answer or forward.answer
    await publish(
        session,
        HotlineReplyReceived(
            order_id=str(forward.order_id), number=forward.number, city=forward.city, system=system.identifier,
            reply_id=reply_id, outcome=reply_in.outcome, answer=reply_in.answer, reason=reply_in.reason,
            replied_at=now,
        ),
    )  # fmt: skip
    return forward
