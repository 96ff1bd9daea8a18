"""A case's public status for the person a kiosk checked, from svc-application (``POST /v1/case-lookups``,
scope ``application.cases.lookup``): the hall asks with its own client-credentials token from identity, never
the kiosk's. Application answers only when the checked ID number is the case's applicant's."""

from __future__ import annotations

from typing import Any

import httpx

from gov_common.service_token import ServiceToken
from hall.kiosks.schemas import CaseStatus
from hall.settings import Settings

SCOPE = "application.cases.lookup"


class CaseLookupFailed(Exception):
    """Application (or identity, for the token) could not be asked."""


class CaseLookups:
    def __init__(
        self,
        settings: Settings,
        *,
        application: httpx.AsyncBaseTransport | None = None,
        identity: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._transports = {"application": application, "identity": identity}
        self.token = ServiceToken(
            client_id=settings.identity_client_id, client_secret=settings.identity_client_secret, scope=SCOPE
        )

    @property
    def configured(self) -> bool:
        return self.token.configured

    def _client(self, which: str, base_url: str) -> httpx.AsyncClient:
        timeout = self.settings.case_lookup_timeout_seconds
        return httpx.AsyncClient(base_url=base_url, transport=self._transports[which], timeout=timeout)

    async def _access_token(self) -> str:
        async with self._client("identity", self.settings.identity_url) as client:
            return await self.token.get(client)

    async def status_for(self, *, tracking_number: str, id_number: str) -> CaseStatus | None:
        """The case's public status if the person with ``id_number`` applied for it, else ``None``."""
        try:
            token = await self._access_token()
            async with self._client("application", self.settings.application_url) as client:
                resp = await client.post(
                    "/v1/case-lookups",
                    json={"tracking_number": tracking_number, "id_number": id_number},
                    headers={"Authorization": f"Bearer {token}"},
                )
            if resp.status_code in (404, 422):
                return None
            resp.raise_for_status()
            body: dict[str, Any] = resp.json()
            return CaseStatus.model_validate(body)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise CaseLookupFailed("application did not answer the case lookup") from exc
