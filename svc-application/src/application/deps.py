"""What the endpoints share: the service's context (storage, scanner, license lookup, logistics, limiter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, UploadFile
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from application.licenses import LicenseLookup
from application.logistics import AddressCipher, LogisticsAdapter
from application.settings import Settings
from application.storage import Storage, StoredFile, VirusScanner, receive


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

    async def receive(self, upload: UploadFile) -> StoredFile:
        """An uploaded material read within this deployment's size and type limits, scanned and kept."""
        settings = self.settings
        return await receive(
            upload,
            storage=self.storage,
            scanner=self.scanner,
            max_bytes=settings.max_upload_bytes,
            allowed=settings.allowed_media_types,
            scratch=settings.effective_storage_dir / ".incoming",
        )


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.application
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def bearer(request: Request) -> str:
    """The caller's raw token (forwarded to svc-certificates for the caller's own wallet)."""
    return request.headers.get("authorization", "").partition(" ")[2].strip()
