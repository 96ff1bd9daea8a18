"""Who a citizen applicant is, from identity: ``GET /v1/accounts/{subject}/holder`` with a client-credentials
token of scope ``identity.holder.read`` (as svc-certificates reads a licence holder), cached until shortly
before it expires. Used only to tell whether the person checked at a kiosk is a case's applicant."""

from __future__ import annotations

import hmac
from typing import Any

import httpx
from pydantic import BaseModel

from gov_common.errors import ServiceUnavailable
from gov_common.service_token import ServiceToken


class HolderSettings(BaseModel):
    """Where identity is and application's client there (the service's ``APPLICATION_IDENTITY_*`` settings,
    :class:`application.settings.Settings`), registered for ``identity.holder.read``; no secret = no kiosk
    case lookups (503)."""

    identity_url: str = "http://127.0.0.1:8001"
    identity_client_id: str = "svc-application"
    identity_client_secret: str = ""
    identity_timeout_seconds: float = 5.0


class HolderUnresolved(Exception):
    """Identity did not answer who the holder is (down, refused, or no such citizen)."""


class IdentityHolders:
    def __init__(self, settings: HolderSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.token = ServiceToken(
            client_id=settings.identity_client_id,
            client_secret=settings.identity_client_secret,
            scope="identity.holder.read",
        )

    @property
    def configured(self) -> bool:
        return self.token.configured or self.transport is not None

    async def id_number(self, subject: str) -> str | None:
        """The citizen's ID number, ``None`` for no such (enabled, verified) citizen; :class:`HolderUnresolved`
        when identity cannot be asked."""
        try:
            async with httpx.AsyncClient(
                base_url=self.settings.identity_url,
                transport=self.transport,
                timeout=self.settings.identity_timeout_seconds,
            ) as client:
                token = await self.token.get(client)
                resp = await client.get(f"/v1/accounts/{subject}/holder", headers={"Authorization": f"Bearer {token}"})
                if resp.status_code in (404, 422):
                    return None
                resp.raise_for_status()
                body: dict[str, Any] = resp.json()
                return str(body["id_number"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise HolderUnresolved("identity did not resolve the holder") from exc

    async def holds(self, subject: str, id_number: str) -> bool:
        """Whether identity holds ``id_number`` for the citizen account ``subject`` (compared in constant
        time, never kept); ``ServiceUnavailable`` when no client is configured or identity does not answer."""
        if not self.configured:
            raise ServiceUnavailable("application's identity client is not configured (APPLICATION_IDENTITY_*)")
        try:
            held = await self.id_number(subject)
        except HolderUnresolved as exc:
            raise ServiceUnavailable("identity did not answer whose account it is") from exc
        return held is not None and hmac.compare_digest(held.upper(), id_number.upper())
