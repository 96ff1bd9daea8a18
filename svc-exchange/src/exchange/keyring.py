"""Webhook signing secrets at rest: sealed with the service's key ring (gov_common.crypto), so that a
database dump or a read replica does not let anyone sign webhooks as the platform.

The subscription's id is bound as associated data (a value copied to another row does not open) and the id
of the sealing key is kept beside the value (``secret_key_id``) to find what a rotation must move. Keys:
``EXCHANGE_SEALING_KEYS`` / ``EXCHANGE_SEALING_KEY_ID`` (see :func:`gov_common.crypto.load_keys`); secrets
of the previous format, or still in clear, were resealed by exchange_0006.

Rotation: add the new key to the ring on every replica, then make it current. At start-up, and every
``EXCHANGE_SECRET_RESEAL_SECONDS`` after, every secret sealed under another key is sealed again under the
current one (:func:`reseal`); an old key may leave the ring once no row names it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from exchange.models import WebhookSubscription
from gov_common.crypto import BlindIndex, CryptoError, KeyRing
from gov_common.db import Database
from gov_common.service import background_task

log = logging.getLogger(__name__)


class SecretUnreadable(Exception):
    """A stored secret does not open with the configured keys (its key left the ring, or a wrong key)."""


class WebhookSecrets:
    """Seals and opens the signing secrets of webhook subscriptions with the service's key ring."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    @property
    def current(self) -> str:
        return self.ring.current

    @staticmethod
    def aad(subscription_id: uuid.UUID) -> str:
        return f"webhook_subscription.secret:{subscription_id}"

    def secret_of(self, sub: WebhookSubscription) -> str:
        """The subscription's signing secret."""
        if sub.secret_ciphertext is None:
            raise SecretUnreadable("the subscription has no secret")
        try:
            return self.ring.open_text(sub.secret_ciphertext, aad=self.aad(sub.id))
        except CryptoError as exc:
            raise SecretUnreadable(f"{exc} (EXCHANGE_SEALING_KEYS)") from None

    def readable_secret(self, sub: WebhookSubscription) -> str | SecretUnreadable:
        """:meth:`secret_of`, or why not (logged for the platform's operators, never for the caller)."""
        try:
            return self.secret_of(sub)
        except SecretUnreadable as exc:
            log.error("webhook subscription %s: its signing secret is unreadable: %s", sub.id, exc)
            return exc

    def store(self, sub: WebhookSubscription, secret: str) -> None:
        """Seal ``secret`` into the row (whose id must be set) and empty the former column in clear."""
        sealed = self.ring.seal(secret, aad=self.aad(sub.id))
        sub.secret_key_id, sub.secret_ciphertext, sub.clear_secret = self.ring.current, sealed.encode(), ""


@dataclass(frozen=True)
class Resealed:
    moved: int
    unreadable: list[uuid.UUID]


async def reseal(db: Database, ring: WebhookSecrets, batch: int = 100) -> Resealed:
    """Seal under the current key every secret sealed under another key. A secret that
    does not open is left as it is and reported: it is not fatal (no crash loop), its deliveries fail with
    a clear error until its key is back in the ring, then the next start moves it."""
    moved, unreadable = 0, []
    after = uuid.UUID(int=0)
    while True:
        async with db.transaction() as session:
            rows = list(
                await session.scalars(
                    sa.select(WebhookSubscription)
                    .where(
                        WebhookSubscription.id > after,
                        WebhookSubscription.secret_key_id != ring.current,
                    )
                    .order_by(WebhookSubscription.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            for sub in rows:
                secret = ring.readable_secret(sub)
                if isinstance(secret, SecretUnreadable):
                    unreadable.append(sub.id)
                else:
                    ring.store(sub, secret)
                    moved += 1
        if len(rows) < batch:
            break
        after = rows[-1].id
    if moved:
        log.info("sealed %d webhook signing secrets under key %r", moved, ring.current)
    return Resealed(moved, unreadable)


async def _keep_resealing(db: Database, ring: WebhookSecrets, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await reseal(db, ring)
        except Exception:
            log.exception("resealing webhook secrets failed; the next round tries again")


@asynccontextmanager
async def resealed(db: Database, ring: WebhookSecrets, every: float) -> AsyncIterator[None]:
    """:func:`reseal` at start-up, before the dispatcher starts, then every ``every`` seconds: during a
    rollout a replica still on the previous current key seals new secrets under it."""
    await reseal(db, ring)
    async with background_task("reseal-webhook-secrets", lambda: _keep_resealing(db, ring, every)):
        yield


def get_key_ring(request: Request) -> WebhookSecrets:
    ring: WebhookSecrets = request.app.state.key_ring
    return ring


KeyRingDep = Annotated[WebhookSecrets, Depends(get_key_ring)]


def get_blind_index(request: Request) -> BlindIndex:
    index: BlindIndex = request.app.state.blind_index
    return index


BlindIndexDep = Annotated[BlindIndex, Depends(get_blind_index)]
