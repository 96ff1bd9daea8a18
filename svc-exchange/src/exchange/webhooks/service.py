"""Webhook subscriptions and the deliveries fanned out from platform events. Ordering is not promised: a
retry may arrive after a later event. What a delivery may carry, and to whom, is
:mod:`exchange.webhooks.outbound` (an allow-list of types and fields, scoped by region)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from exchange.errors import DeliveryNotFound
from exchange.models import ExternalSystem, WebhookDelivery, WebhookSubscription
from exchange.webhooks.egress import non_public
from exchange.webhooks.outbound import outbound_data
from gov_common.events import CloudEvent
from gov_common.pagination import read_time_id_cursor, time_id_cursor
from gov_standards.china_time import utcnow
from gov_standards.regions import region_covers


def literal_refusal(url: str) -> str | None:
    """Why a subscription URL is refused without a DNS lookup: it names this machine or a non-public IP
    address. A host name is checked after DNS at every attempt, where the connection is made
    (:class:`exchange.webhooks.egress.PublicOnlyBackend`)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        return f"{host} is not a public address" if non_public(host) else None
    except ValueError:
        return None


async def owned_delivery(
    session: AsyncSession, delivery_id: uuid.UUID, system: ExternalSystem | None
) -> WebhookDelivery:
    """The delivery; for a ``system``, only one of its own subscriptions (else not found, whether it exists
    or not)."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound()
    if system is not None:
        sub = await session.get(WebhookSubscription, delivery.subscription_id)
        if sub is None or sub.system_id != system.id:
            raise DeliveryNotFound()
    return delivery


async def list_page(
    session: AsyncSession, system: ExternalSystem | None, status: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id).limit(limit + 1)
    if system is not None:
        query = query.join(WebhookSubscription).where(WebhookSubscription.system_id == system.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    after = read_time_id_cursor(cursor)
    if after:
        query = query.where(sa.tuple_(WebhookDelivery.created_at, WebhookDelivery.id) > after)
    rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None}


async def redeliver_now(delivery: WebhookDelivery, session: AsyncSession) -> WebhookDelivery:
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    await session.flush()
    return delivery


def delivery_body(event: CloudEvent, data: dict[str, Any]) -> str:
    """The JSON body a receiver gets: the event in CloudEvents structured form, with its outbound ``data``
    (:func:`exchange.webhooks.outbound.outbound_data`), never the internal one."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event.id,
            "type": event.type,
            "source": event.source,
            "subject": event.subject,
            "time": event.time.isoformat(),
            "datacontenttype": "application/json",
            "data": data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


async def fan_out(session: AsyncSession, event: CloudEvent, *, only_system: str | None = None) -> int:
    """Queue one delivery per active subscription to ``event.type`` whose system's region covers the
    record's region, carrying the allow-listed fields only; with ``only_system``, only that system's (by
    identifier: e.g. the platform whose case a supervision order is on). An event of an internal type, or
    whose record names no region, is sent to no one."""
    data = outbound_data(event)
    if data is None:
        return 0
    region = data["region"]
    rows = (
        await session.execute(
            sa.select(WebhookSubscription, ExternalSystem)
            .join(ExternalSystem, ExternalSystem.id == WebhookSubscription.system_id)
            .where(WebhookSubscription.active.is_(True), ExternalSystem.active.is_(True))
            .where(ExternalSystem.identifier == only_system if only_system is not None else sa.true())
        )
    ).all()
    body = delivery_body(event, data)
    count = 0
    for sub, system in rows:
        if event.type not in sub.event_types:
            continue
        if not region_covers(system.region, region):
            continue
        exists = await session.scalar(
            sa.select(WebhookDelivery.id).where(
                WebhookDelivery.subscription_id == sub.id, WebhookDelivery.event_id == event.id
            )
        )
        if exists is None:
            session.add(
                WebhookDelivery(
                    subscription_id=sub.id,
                    event_id=event.id,
                    event_type=event.type,
                    body=body,
                    status="pending",
                    next_attempt_at=utcnow(),
                )
            )
            count += 1
    await session.flush()
    return count
