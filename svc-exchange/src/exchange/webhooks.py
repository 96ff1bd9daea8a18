"""Webhook subscriptions of external systems, the deliveries fanned out from platform events, and the
dispatcher that posts them (signed, retried with back-off, then dead-lettered; redelivery on request).
Ordering is not promised: a retry may arrive after a later event. What a delivery may carry, and to whom,
is :mod:`exchange.outbound` (an allow-list of types and fields, scoped by region).
Signatures: :mod:`exchange.signing` (Standard Webhooks)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from exchange import audit
from exchange.access import SCOPE_WEBHOOKS, PlatformAdminDep, SettingsDep, system_with_scope
from exchange.egress import REFUSED, PublicOnlyTransport, non_public
from exchange.errors import DeliveryNotFound, SecretUnavailable, SubscriptionNotFound, WebhookUrlNotAllowed
from exchange.keyring import KeyRing, KeyRingDep, SecretUnreadable
from exchange.models import ExternalSystem, WebhookDelivery, WebhookSubscription, utcnow
from exchange.outbound import OUTBOUND, SUBSCRIBABLE, outbound_data
from exchange.settings import Settings
from exchange.signing import new_secret, signed_headers
from gov_common.db import Database
from gov_common.deps import SessionDep
from gov_common.events import CloudEvent
from gov_common.idempotency import IdempotencyKey, check_replay, request_hash
from gov_common.pagination import Cursor, Limit, read_time_id_cursor, time_id_cursor
from gov_common.regions import region_covers

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
admin_router = APIRouter(prefix="/v1/admin/webhook-deliveries", tags=["webhooks"])
WebhookSystem = Annotated[ExternalSystem, Depends(system_with_scope(SCOPE_WEBHOOKS))]
_TYPES = "; ".join(
    f"`{name}` ({spec.description}): {', '.join([*spec.fields, *spec.fixed, 'time'])}"
    for name, spec in OUTBOUND.items()
)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    event_types: list[str] = Field(
        min_length=1,
        description="any of these outbound types, each delivered with these fields only "
        f"(docs/events.md, 'Outbound events'): {_TYPES}",
    )

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SUBSCRIBABLE))
        if unknown:
            raise ValueError(f"cannot subscribe to {unknown}: not outbound events (any of {list(SUBSCRIBABLE)})")
        return sorted(set(value))


def literal_refusal(url: str) -> str | None:
    """Why a subscription URL is refused without a DNS lookup: it names this machine or a non-public IP
    address. A host name is checked after DNS at every attempt, where the connection is made
    (:class:`exchange.egress.PublicOnlyBackend`)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        return f"{host} is not a public address" if non_public(host) else None
    except ValueError:
        return None


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="HMAC key of the signatures; shown only in this response")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None


@router.post("/subscriptions", status_code=201, response_model=SubscriptionCreated, summary="Subscribe")
async def create_subscription(
    request: Request,
    body: SubscriptionCreate,
    session: SessionDep,
    system: WebhookSystem,
    settings: SettingsDep,
    ring: KeyRingDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The URL must reach a public address (``EXCHANGE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts that for
    tests and local receivers). The secret is in this answer (and its idempotent replay) only; it is stored
    sealed (:mod:`exchange.keyring`).

    Only outbound event types may be chosen, and each delivery carries only that type's allow-listed
    fields (see ``event_types``), never an internal payload; it is sent only when the record's region is
    inside the system's registered region (a record without a region is never sent)."""
    refusal = None if settings.webhook_allow_private_addresses else literal_refusal(str(body.url))
    if refusal:
        raise WebhookUrlNotAllowed(refusal)
    digest = request_hash(body.model_dump(mode="json"))
    if idempotency_key:
        earlier = await session.scalar(
            sa.select(WebhookSubscription).where(
                WebhookSubscription.system_id == system.id, WebhookSubscription.idempotency_key == idempotency_key
            )
        )
        if earlier is not None:
            check_replay(earlier.request_hash, digest)
            secret = ring.readable_secret(earlier)
            if isinstance(secret, SecretUnreadable):
                raise SecretUnavailable()
            return {**SubscriptionRead.model_validate(earlier).model_dump(), "secret": secret}
    secret = new_secret()
    sub = WebhookSubscription(
        id=uuid.uuid4(),
        system_id=system.id,
        url=str(body.url),
        event_types=body.event_types,
        idempotency_key=idempotency_key,
        request_hash=digest,
    )
    ring.store(sub, secret)
    session.add(sub)
    await session.flush()
    answer = SubscriptionRead.model_validate(sub).model_dump(mode="json")
    # the audit hashes the answer without the secret: the log must not become a way to recompute it
    await audit.append(
        session, request, actor=system.identifier, request_body=body.model_dump(mode="json"), response_body=answer
    )
    return {**answer, "secret": secret}


@router.get("/subscriptions", response_model=list[SubscriptionRead], summary="My subscriptions")
async def list_subscriptions(session: SessionDep, system: WebhookSystem) -> Any:
    return list(
        await session.scalars(
            sa.select(WebhookSubscription)
            .where(WebhookSubscription.system_id == system.id)
            .order_by(WebhookSubscription.created_at)
        )
    )


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
async def delete_subscription(subscription_id: uuid.UUID, session: SessionDep, system: WebhookSystem) -> None:
    sub = await session.get(WebhookSubscription, subscription_id)
    if sub is None or sub.system_id != system.id:
        raise SubscriptionNotFound()
    sub.active = False


async def _owned_delivery(
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


async def _deliveries(
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


async def _redeliver(delivery: WebhookDelivery, session: AsyncSession) -> WebhookDelivery:
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    await session.flush()
    return delivery


StatusFilter = Annotated[Literal["pending", "delivered", "dead"] | None, Query()]


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    summary="My deliveries; status=dead is the dead-letter list",
)
async def list_deliveries(
    session: SessionDep, system: WebhookSystem, status: StatusFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """The deliveries of the calling system's own subscriptions."""
    return await _deliveries(session, system, status, limit, cursor)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    summary="Deliver again now",
)
async def redeliver(delivery_id: uuid.UUID, session: SessionDep, system: WebhookSystem) -> Any:
    """The owning system puts a delivery (typically a dead one) back in the queue with a fresh retry
    schedule."""
    return await _redeliver(await _owned_delivery(session, delivery_id, system), session)


@admin_router.get("", response_model=DeliveryPage, summary="Every system's deliveries (platform admins)")
async def list_all_deliveries(
    session: SessionDep, _: PlatformAdminDep, status: StatusFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    return await _deliveries(session, None, status, limit, cursor)


@admin_router.post("/{delivery_id}/redeliver", response_model=DeliveryRead, summary="Deliver again now (admins)")
async def redeliver_any(delivery_id: uuid.UUID, session: SessionDep, _: PlatformAdminDep) -> Any:
    """A platform admin puts any system's delivery back in the queue, e.g. after the receiver's outage."""
    return await _redeliver(await _owned_delivery(session, delivery_id, None), session)


def delivery_body(event: CloudEvent, data: dict[str, Any]) -> str:
    """The JSON body a receiver gets: the event in CloudEvents structured form, with its outbound ``data``
    (:func:`exchange.outbound.outbound_data`), never the internal one."""
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


async def fan_out(session: AsyncSession, event: CloudEvent) -> int:
    """Queue one delivery per active subscription to ``event.type`` whose system's region covers the
    record's region, carrying the allow-listed fields only. An event of an internal type, or whose record
    names no region, is sent to no one."""
    data = outbound_data(event)
    if data is None:
        return 0
    region = data["region"]
    rows = (
        await session.execute(
            sa.select(WebhookSubscription, ExternalSystem)
            .join(ExternalSystem, ExternalSystem.id == WebhookSubscription.system_id)
            .where(WebhookSubscription.active.is_(True), ExternalSystem.active.is_(True))
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


def next_state(attempts: int, backoff: list[float], now: datetime) -> tuple[str, datetime | None]:
    """After ``attempts`` failed attempts: ("pending", when to retry) or ("dead", None)."""
    if attempts > len(backoff):
        return "dead", None
    return "pending", now + timedelta(seconds=backoff[attempts - 1])


class Dispatcher:
    """Posts due deliveries. A delivery is leased (its next attempt pushed past the timeout) in a short
    transaction before the HTTP call, so that replicas do not post the same delivery at the same time."""

    def __init__(
        self, db: Database, settings: Settings, ring: KeyRing, client: httpx.AsyncClient | None = None
    ) -> None:
        self.db, self.settings, self.ring = db, settings, ring
        transport = None if settings.webhook_allow_private_addresses else PublicOnlyTransport()
        self.client = client or httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, transport=transport)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def _claim(self, batch: int) -> list[tuple[uuid.UUID, str, str | SecretUnreadable, str, str]]:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.webhook_timeout_seconds * 3)
        async with self.db.transaction() as session:
            query = (
                sa.select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(batch)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            )
            rows = (await session.execute(query)).all()
            claimed = []
            for delivery, sub in rows:
                delivery.next_attempt_at = lease
                claimed.append(
                    (delivery.id, sub.url, self.ring.readable_secret(sub), delivery.event_type, delivery.body)
                )
        return claimed

    async def _post(
        self, url: str, secret: str | SecretUnreadable, delivery_id: uuid.UUID, event_type: str, body: str
    ) -> tuple[str | None, int | None]:
        """(error or None, HTTP status or None)."""
        if isinstance(secret, SecretUnreadable):  # the details are in the log, for the platform's operators
            return "the platform cannot read this subscription's signing secret (its key configuration)", None
        headers = signed_headers(secret, utcnow(), body, delivery_id=str(delivery_id), event_type=event_type)
        try:
            resp = await self.client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            refused = isinstance(exc, httpx.ConnectError) and str(exc).startswith(REFUSED)
            return (str(exc) if refused else type(exc).__name__)[:500], None
        ok = 200 <= resp.status_code < 300
        return (None if ok else f"HTTP {resp.status_code}"), resp.status_code

    async def run_once(self, batch: int = 50) -> int:
        """Attempt every due delivery once; return how many were attempted."""
        claimed = await self._claim(batch)
        for delivery_id, url, secret, event_type, body in claimed:
            error, status_code = await self._post(url, secret, delivery_id, event_type, body)
            async with self.db.transaction() as session:
                delivery = await session.get(WebhookDelivery, delivery_id)
                if delivery is None or delivery.status != "pending":
                    continue
                delivery.attempts += 1
                delivery.last_status_code = status_code
                now = utcnow()
                if error is None:
                    delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
                    delivery.last_error = None
                else:
                    delivery.last_error = error
                    delivery.status, delivery.next_attempt_at = next_state(
                        delivery.attempts, self.settings.webhook_backoff_seconds, now
                    )
                    if delivery.status == "dead":
                        log.warning(
                            "webhook delivery %s dead-lettered after %d attempts", delivery_id, delivery.attempts
                        )
        return len(claimed)

    async def _run(self) -> None:
        while True:
            try:
                n = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatch failed")
                n = 0
            if n:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.webhook_poll_seconds)
            except TimeoutError:
                pass

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.client.aclose()
