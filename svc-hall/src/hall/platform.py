"""svc-hall's calls to other platform services as itself: its own client-credentials token from identity (one
per scope, kept until shortly before it expires), never a kiosk's or a person's. A kiosk's case look-up asks
application (``application.cases.lookup``), its check that the person in front of it holds an appointment
asks identity (``identity.holder.match``), its prints ask certificates (``certificates.licenses.print``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import httpx

from gov_common.service_token import ServiceToken
from hall.settings import Settings

Service = Literal["identity", "application", "certificates"]


class PlatformCallFailed(Exception):
    """The other service (or identity, for the token) could not be asked or gave no usable answer."""


class Platform:
    def __init__(self, settings: Settings, *, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None):
        self.settings = settings
        self._transports = dict(transports or {})
        self._tokens: dict[str, ServiceToken] = {}

    @property
    def configured(self) -> bool:
        """Whether the hall has its client's secret (without one, nothing that needs a call is offered)."""
        return bool(self.settings.identity_client_secret)

    def _url(self, service: Service) -> str:
        urls = {
            "identity": self.settings.identity_url,
            "application": self.settings.application_url,
            "certificates": self.settings.certificates_url,
        }
        return urls[service]

    def _client(self, service: Service) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._url(service),
            transport=self._transports.get(service),
            timeout=self.settings.platform_timeout_seconds,
        )

    def _token(self, scope: str) -> ServiceToken:
        if scope not in self._tokens:
            self._tokens[scope] = ServiceToken(
                client_id=self.settings.identity_client_id,
                client_secret=self.settings.identity_client_secret,
                scope=scope,
            )
        return self._tokens[scope]

    async def post(self, service: Service, path: str, *, scope: str, json: dict[str, Any]) -> httpx.Response:
        """``POST path`` on ``service`` with the hall's token of ``scope``; the answer whatever its status
        (a 401 drops the held token, so that the next call fetches a new one). :class:`PlatformCallFailed`
        when nobody answered."""
        token = self._token(scope)
        try:
            async with self._client("identity") as identity:
                bearer = await token.get(identity)
            async with self._client(service) as client:
                resp = await client.post(path, json=json, headers={"Authorization": f"Bearer {bearer}"})
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise PlatformCallFailed(f"{service} could not be asked") from exc
        if resp.status_code == 401:
            token.forget()
        return resp
