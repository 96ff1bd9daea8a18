"""Token-signing keys: stored wrapped in the database, published in the JWKS, rotated with an overlap.

Rotation makes a new key active and moves the old one to ``retiring``: it signs nothing more but stays in
the JWKS for ``key_overlap_seconds``, so tokens it signed keep verifying until they expire.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import JWKSCache
from gov_common.db import Database
from gov_standards.china_time import utcnow as _now
from identity.models import SigningKey
from identity.pii import PersonalData

WRAP_CONTEXT = "signing-key"


def _generate(alg: str, kid: str) -> ECKey | RSAKey:
    params: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=params, private=True)
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, private=True)
    raise ValueError(f"unsupported signing algorithm {alg}")


def _published_filter(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(SigningKey.status == "active", sa.and_(SigningKey.status == "retiring", SigningKey.retire_at > now))


class KeyStore:
    def __init__(self, pii: PersonalData, *, alg: str, overlap_seconds: int, cache_seconds: float) -> None:
        self.pii = pii
        self.alg = alg
        self.overlap = timedelta(seconds=overlap_seconds)
        self.cache_seconds = cache_seconds
        self._active: tuple[str, ECKey | RSAKey, float] | None = None

    def _unwrap(self, row: SigningKey) -> ECKey | RSAKey:
        data = json.loads(self.pii.wrap.decrypt(row.private_jwk_enc, context=WRAP_CONTEXT))
        key = ECKey.import_key(data) if data["kty"] == "EC" else RSAKey.import_key(data)
        return key

    async def _create(self, session: AsyncSession) -> SigningKey:
        kid = f"{_now():%Y%m%d}-{secrets.token_hex(4)}"
        key = _generate(self.alg, kid)
        row = SigningKey(
            kid=kid,
            alg=self.alg,
            private_jwk_enc=self.pii.wrap.encrypt(json.dumps(key.as_dict(private=True)), context=WRAP_CONTEXT),
            public_jwk=dict(key.as_dict(private=False)),
            status="active",
            created_at=_now(),
        )
        session.add(row)
        await session.flush()
        return row

    async def active(self, session: AsyncSession) -> tuple[str, ECKey | RSAKey]:
        """The key that signs now (created on first use)."""
        cached = self._active
        if cached is not None and time.monotonic() - cached[2] < self.cache_seconds:
            return cached[0], cached[1]
        row = await session.scalar(
            sa.select(SigningKey).where(SigningKey.status == "active").order_by(SigningKey.created_at.desc()).limit(1)
        )
        if row is None:
            row = await self._create(session)
        key = self._unwrap(row)
        self._active = (row.kid, key, time.monotonic())
        return row.kid, key

    async def rotate(self, session: AsyncSession) -> str:
        """Make a new key active; the previous ones retire after the overlap. Returns the new kid."""
        now = _now()
        await session.execute(sa.delete(SigningKey).where(SigningKey.status == "retiring", SigningKey.retire_at <= now))
        await session.execute(
            sa.update(SigningKey)
            .where(SigningKey.status == "active")
            .values(status="retiring", retire_at=now + self.overlap)
        )
        row = await self._create(session)
        self._active = None
        return row.kid

    async def jwks(self, session: AsyncSession) -> dict[str, Any]:
        rows = (await session.scalars(sa.select(SigningKey).where(_published_filter(_now())))).all()
        if not rows:
            await self.active(session)
            rows = (await session.scalars(sa.select(SigningKey).where(_published_filter(_now())))).all()
        return {"keys": [row.public_jwk for row in sorted(rows, key=lambda r: r.created_at, reverse=True)]}

    async def sign(self, session: AsyncSession, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        kid, key = await self.active(session)
        return jwt.encode({"alg": self.alg, "kid": kid, "typ": typ}, claims, key)

    def forget(self) -> None:
        self._active = None


class LocalJWKS(JWKSCache):
    """The verifier's key source for identity's own APIs: its key table, not an HTTP call to itself."""

    def __init__(self, db: Database, store: KeyStore, *, ttl_seconds: float, min_refetch_seconds: float) -> None:
        super().__init__("local:signing_key", ttl_seconds=ttl_seconds, min_refetch_seconds=min_refetch_seconds)
        self.db = db
        self.store = store

    async def _fetch(self) -> KeySet:
        async with self.db.transaction() as session:
            data = await self.store.jwks(session)
        self.fetch_count += 1
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
