"""What the endpoints share: the service's context (storage, scanner, license lookup, logistics, limiter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from application.licenses import LicenseLookup
from application.logistics import AddressCipher, LogisticsAdapter
from application.settings import Settings
from application.storage import Storage, VirusScanner


@dataclass
class AppContext:
    settings: Settings
    storage: Storage
    scanner: VirusScanner
    licenses: LicenseLookup
    logistics: LogisticsAdapter
    cipher: AddressCipher
    limiter: MovingWindowRateLimiter = field(default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))

    @property
    def status_limit(self) -> RateLimitItem:
        return parse(self.settings.status_query_limit)


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.application
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def bearer(request: Request) -> str:
    """The caller's raw token (forwarded to svc-certificates for the caller's own wallet)."""
    return request.headers.get("authorization", "").partition(" ")[2].strip()
