"""What the endpoints and consumers of one running service share: settings, the master key, the identity
client and the verification rate limiters (built once per app in ``create_app``)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from certificates.errors import HolderUnresolved
from certificates.sealing import MasterKey
from certificates.settings import Settings
from gov_common.service_token import ServiceToken


@dataclass(frozen=True)
class Holder:
    id_type: str  # citizen_id | credit_code
    id_number: str
    name: str


class IdentityClient:
    """Reads a citizen holder's identifier from identity (``GET /v1/accounts/{subject}/holder``) with a
    client-credentials token of scope ``identity.holder.read``, cached until shortly before it expires."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.token = ServiceToken(
            client_id=settings.identity_client_id,
            client_secret=settings.identity_client_secret,
            scope="identity.holder.read",
        )

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.settings.identity_url, transport=self.transport, timeout=5)

    async def holder(self, subject: str) -> Holder:
        try:
            async with self._client() as client:
                token = await self.token.get(client)
                resp = await client.get(f"/v1/accounts/{subject}/holder", headers={"Authorization": f"Bearer {token}"})
                resp.raise_for_status()
                body: dict[str, Any] = resp.json()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise HolderUnresolved("identity did not resolve the holder") from exc
        return Holder(id_type=str(body["id_type"]), id_number=str(body["id_number"]), name=str(body["name"]))


@dataclass
class Context:
    settings: Settings
    master_key: MasterKey
    identity: IdentityClient
    limiter: MovingWindowRateLimiter = field(default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))

    @classmethod
    def build(cls, settings: Settings, identity_transport: httpx.AsyncBaseTransport | None = None) -> Context:
        key = MasterKey.from_settings(settings)
        return cls(settings=settings, master_key=key, identity=IdentityClient(settings, identity_transport))

    def allow_verification(self, client_key: str) -> bool:
        return self.limiter.hit(parse(self.settings.verify_rate_limit), "verify", client_key)

    def holder_check_retry_after(self, identifier: str) -> int | None:
        """Counts one holder-ID check of the licence ``identifier``: ``None`` if allowed, else the seconds
        until the next one is (nothing counted)."""
        limit = parse(self.settings.holder_check_rate_limit)
        if self.limiter.hit(limit, "holder-check", identifier):
            return None
        reset = self.limiter.get_window_stats(limit, "holder-check", identifier).reset_time
        return max(1, math.ceil(reset - time.time()))


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.certificates
    return ctx
