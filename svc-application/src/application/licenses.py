"""E-license reuse (免提交): which licenses an applicant holds, asked of svc-certificates.

Contract (svc-certificates, the holder's own token forwarded):
``GET {certificates}/v1/wallet/licenses?type=<type code or name>&type=...`` answers
``{"items": [{"license_id", "type_code", "type_name", "identifier", "status", "valid_until"}]}``
with the caller's own licenses only. A license is usable when its status is ``valid``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import httpx
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from application.errors import LicenseServiceUnavailable

log = logging.getLogger(__name__)


class License(BaseModel):
    """A license as svc-certificates' wallet lists it (``certificates.licenses.schemas.LicenseRead``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    license_id: str = Field(validation_alias=AliasChoices("id", "license_id"))
    type_code: str
    type_name: str | None = None
    identifier: str | None = None
    status: str = "active"  # active | suspended | revoked | superseded
    valid_until: str | None = None

    def matches(self, license_type: str) -> bool:
        return license_type in (self.type_code, self.type_name)

    @property
    def usable(self) -> bool:
        return self.status == "active"


class WalletPage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[License]


class LicenseLookup(Protocol):
    async def list(self, token: str, types: Sequence[str]) -> list[License]:
        """The caller's licenses of the given types (type codes or names)."""

    async def verify(self, token: str, license_id: str, license_type: str) -> License | None:
        """The caller's license ``license_id`` if it is of ``license_type`` and valid, else ``None``."""

    async def aclose(self) -> None: ...


class HttpLicenseLookup:
    def __init__(self, base_url: str, *, timeout: float = 3.0, transport: httpx.AsyncBaseTransport | None = None):
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    async def list(self, token: str, types: Sequence[str]) -> list[License]:
        if not types:
            return []
        try:
            resp = await self._client.get(
                "/v1/wallet/licenses",
                params=[("type", t) for t in types],
                headers={"Authorization": f"Bearer {token}"},
            )
            resp.raise_for_status()
            page = WalletPage.model_validate(resp.json())
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            log.warning("e-license lookup failed: %s", type(exc).__name__)
            raise LicenseServiceUnavailable() from exc
        return [lic for lic in page.items if any(lic.matches(t) for t in types)]

    async def verify(self, token: str, license_id: str, license_type: str) -> License | None:
        for lic in await self.list(token, [license_type]):
            if lic.license_id == license_id and lic.usable:
                return lic
        return None

    async def aclose(self) -> None:
        await self._client.aclose()


class InMemoryLicenseLookup:
    """A fake wallet for unit tests and the demo: licenses per token subject key."""

    def __init__(self, wallets: dict[str, list[License]] | None = None) -> None:
        self.wallets = wallets or {}

    async def list(self, token: str, types: Sequence[str]) -> list[License]:
        return [lic for lic in self.wallets.get(token, []) if any(lic.matches(t) for t in types)]

    async def verify(self, token: str, license_id: str, license_type: str) -> License | None:
        for lic in await self.list(token, [license_type]):
            if lic.license_id == license_id and lic.usable:
                return lic
        return None

    async def aclose(self) -> None:
        return None
