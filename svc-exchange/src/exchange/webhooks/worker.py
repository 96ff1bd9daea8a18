"""The dispatcher that posts webhook deliveries: signed (:mod:`exchange.webhooks.signing`, Standard
Webhooks), retried with back-off, then dead-lettered; redelivery is on request."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa

from exchange.keyring import SecretUnreadable, WebhookSecrets
from exchange.models import WebhookDelivery, WebhookSubscription
from exchange.settings import Settings
from exchange.webhooks.egress import REFUSED, PublicOnlyTransport
from exchange.webhooks.signing import signed_headers
from gov_common.db import Database
from gov_standards.china_time import utcnow

log = logging.getLogger(__name__)


def next_state(attempts: int, backoff: list[float], now: datetime) -> tuple[str, datetime | None]:
    """After ``attempts`` failed attempts: ("pending", when to retry) or ("dead", None)."""
    if attempts > len(backoff):
        return "dead", None
    return "pending", now + timedelta(seconds=backoff[attempts - 1])


class Dispatcher:
    """Posts due deliveries. A delivery is leased (its next attempt pushed past the timeout) in a short
    transaction before the HTTP call, so that replicas do not post the same delivery at the same time."""

    def __init__(
        self, db: Database, settings: Settings, ring: WebhookSecrets, client: httpx.AsyncClient | None = None
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
