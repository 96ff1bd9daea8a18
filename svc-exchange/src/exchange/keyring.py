"""Webhook signing secrets at rest: sealed with AES-256-GCM under a key ring, so that a database dump or a
read replica does not let anyone sign webhooks as the platform.

A sealed secret is stored with the id of the key that sealed it, and the subscription's id is bound as
associated data: a ciphertext copied to another row does not open. The keys come from settings
(``EXCHANGE_SECRET_KEYS``, ``EXCHANGE_SECRET_KEY_ID``) and are required in production; elsewhere, when
none are set, one key is generated once into ``data_dir/exchange-secret-keys.json`` (mode 0600, under the
git-ignored ``.var/``).

Rotation: add the new key to the ring on every replica, then make it current. At start-up, and every
``EXCHANGE_SECRET_RESEAL_SECONDS`` after, every secret still in clear (rows from before exchange_0003) or
sealed under another key is sealed again under the current one (:func:`reseal`); an old key may leave the
ring once no row names it."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, Request

from exchange.models import WebhookSubscription
from exchange.settings import Settings
from gov_common.db import Database
from gov_common.service import background_task

log = logging.getLogger(__name__)

KEY_FILE = "exchange-secret-keys.json"
DEV_KEY_ID = "dev-1"
NONCE_BYTES = 12
MAX_KEY_ID = 64  # webhook_subscription.secret_key_id


class SecretUnreadable(Exception):
    """A stored secret does not open with the configured keys (its key left the ring, or a wrong key)."""


def _key(key_id: str, text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"EXCHANGE_SECRET_KEYS[{key_id!r}] must be base64 of 32 random bytes")
    return raw


def _development_keys(data_dir: Path) -> dict[str, str]:
    path = data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({DEV_KEY_ID: base64.b64encode(secrets.token_bytes(32)).decode()}, fh)
    stored: dict[str, str] = json.loads(path.read_text())
    return stored


@dataclass(frozen=True)
class Sealed:
    key_id: str
    ciphertext: bytes  # nonce || AES-GCM ciphertext and tag


class KeyRing:
    """The keys secrets may be sealed under, by id; ``current`` seals new ones."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"EXCHANGE_SECRET_KEY_ID {current!r} is not a key of EXCHANGE_SECRET_KEYS")
        for key_id in keys:
            if not key_id or len(key_id) > MAX_KEY_ID:
                raise ValueError(f"a key id of EXCHANGE_SECRET_KEYS has 1 to {MAX_KEY_ID} characters")
        self._aeads = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The configured ring; refused in production when none is configured."""
        if settings.secret_keys:
            configured = {kid: value.get_secret_value() for kid, value in settings.secret_keys.items()}
        elif settings.environment == "production":
            raise RuntimeError("EXCHANGE_SECRET_KEYS must be set in production (webhook secrets are sealed with it)")
        else:
            configured = _development_keys(settings.data_dir)
        current = settings.secret_key_id or (next(iter(configured)) if len(configured) == 1 else "")
        if not current:
            raise ValueError("EXCHANGE_SECRET_KEY_ID must name the current key when the ring holds several")
        return cls({kid: _key(kid, text) for kid, text in configured.items()}, current)

    @staticmethod
    def _context(subscription_id: uuid.UUID) -> bytes:
        return f"webhook_subscription.secret:{subscription_id}".encode()

    def seal(self, secret: str, *, subscription_id: uuid.UUID) -> Sealed:
        nonce = secrets.token_bytes(NONCE_BYTES)
        blob = self._aeads[self.current].encrypt(nonce, secret.encode(), self._context(subscription_id))
        return Sealed(self.current, nonce + blob)

    def open(self, sealed: Sealed, *, subscription_id: uuid.UUID) -> str:
        aead = self._aeads.get(sealed.key_id)
        if aead is None:
            raise SecretUnreadable(f"key {sealed.key_id!r} is not in EXCHANGE_SECRET_KEYS")
        nonce, blob = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, blob, self._context(subscription_id)).decode()
        except InvalidTag:
            raise SecretUnreadable(f"the secret does not open with key {sealed.key_id!r} (a different key?)") from None

    def secret_of(self, sub: WebhookSubscription) -> str:
        """The subscription's signing secret; one still in clear (not yet resealed) as it is."""
        if sub.clear_secret:
            return sub.clear_secret
        if sub.secret_key_id is None or sub.secret_ciphertext is None:
            raise SecretUnreadable("the subscription has no secret")
        return self.open(Sealed(sub.secret_key_id, sub.secret_ciphertext), subscription_id=sub.id)

    def readable_secret(self, sub: WebhookSubscription) -> str | SecretUnreadable:
        """:meth:`secret_of`, or why not (logged for the platform's operators, never for the caller)."""
        try:
            return self.secret_of(sub)
        except SecretUnreadable as exc:
            log.error("webhook subscription %s: its signing secret is unreadable: %s", sub.id, exc)
            return exc

    def store(self, sub: WebhookSubscription, secret: str) -> None:
        """Seal ``secret`` into the row (whose id must be set) and empty the column in clear."""
        sealed = self.seal(secret, subscription_id=sub.id)
        sub.secret_key_id, sub.secret_ciphertext, sub.clear_secret = sealed.key_id, sealed.ciphertext, ""


@dataclass(frozen=True)
class Resealed:
    moved: int
    unreadable: list[uuid.UUID]


async def reseal(db: Database, ring: KeyRing, batch: int = 100) -> Resealed:
    """Seal under the current key every secret still in clear or sealed under another key. A secret that
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
                        sa.or_(
                            WebhookSubscription.clear_secret != "",
                            WebhookSubscription.secret_key_id.is_(None),
                            WebhookSubscription.secret_key_id != ring.current,
                        ),
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


async def _keep_resealing(db: Database, ring: KeyRing, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await reseal(db, ring)
        except Exception:
            log.exception("resealing webhook secrets failed; the next round tries again")


@asynccontextmanager
async def resealed(db: Database, ring: KeyRing, every: float) -> AsyncIterator[None]:
    """:func:`reseal` at start-up, before the dispatcher starts, then every ``every`` seconds: during a
    rollout a replica still on the previous current key seals new secrets under it."""
    await reseal(db, ring)
    async with background_task("reseal-webhook-secrets", lambda: _keep_resealing(db, ring, every)):
        yield


def get_key_ring(request: Request) -> KeyRing:
    ring: KeyRing = request.app.state.key_ring
    return ring


KeyRingDep = Annotated[KeyRing, Depends(get_key_ring)]
