"""Content-addressed file storage (uploaded materials and any other blob a service keeps): one interface,
a local folder for the embedded default and an S3-compatible object store in production.

Every file is kept under its SHA-256, so the same content is kept once and a name is never a path. A put
is acknowledged only once the whole file is in the store: the object store checks the SHA-256 itself
(``x-amz-checksum-sha256``) and an S3 PUT is atomic, so a store that restarts mid-upload leaves either
the whole file or nothing, and the caller gets :class:`StorageUnavailable` (503, retry) instead of an
acknowledgement.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Literal, Protocol

import anyio
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field, SecretStr

from gov_common.attachments import content_disposition
from gov_common.errors import ProblemError, ServiceUnavailable

CHUNK = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}

log = logging.getLogger(__name__)


class Storage(Protocol):
    async def put(self, sha256: str, path: Path) -> None:
        """Keep the file at ``path`` under its content hash (idempotent: the same content is kept once).
        Returns only once the whole file is kept; raises :class:`StorageUnavailable` when it could not be."""

    async def exists(self, sha256: str) -> bool: ...

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The kept file's content in chunks, to stream; raises ``FileNotFoundError`` here, before the
        first chunk, when nothing is kept under ``sha256``."""
        ...

    async def aclose(self) -> None:
        """Release connections (at the service's shutdown)."""


class StorageUnavailable(ServiceUnavailable):
    slug, title = "storage-unavailable", "The file store is unavailable; nothing was kept, try again"

    def __init__(self, detail: str = "the file store did not answer; nothing was kept, try again") -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class StorageNotEncrypted(ProblemError):
    slug, status, title = "storage-not-encrypted", 500, "The file store did not encrypt the file; it was not kept"


def check_sha256(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):  # the name is a digest, never a path
        raise ValueError("not a SHA-256 in hex")
    return sha256


class LocalStorage:
    """Files under a folder, named by their SHA-256 (content-addressed: the same content stored once)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / check_sha256(sha256)[:2] / sha256

    async def put(self, sha256: str, path: Path) -> None:
        target = self.path_of(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # atomic within one file system: a reader never sees half a file

    async def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        file = await anyio.open_file(self.path_of(sha256), "rb")

        async def chunks() -> AsyncIterator[bytes]:
            async with file:
                while chunk := await file.read(CHUNK):
                    yield chunk

        return chunks()

    async def aclose(self) -> None:
        return None


class StorageSettings(BaseModel):
    """The file store of a service (mix into its ``Settings``; env ``<PREFIX>STORAGE_BACKEND`` and so on,
    or ``GOV_STORAGE_BACKEND`` for all services)."""

    # "local": a folder (the embedded default); "s3": an S3-compatible object store.
    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str = ""  # empty: the provider's default endpoint for s3_region
    s3_region: str = "us-east-1"
    s3_bucket: str = ""
    s3_prefix: str = Field(default="", max_length=200, pattern=r"^([a-z0-9-]+/)*$")  # e.g. "materials/"
    s3_access_key_id: SecretStr = SecretStr("")
    s3_secret_access_key: SecretStr = SecretStr("")
    # Server-side encryption asked of the store on every put ("AES256": keys the store manages; "aws:kms":
    # s3_sse_kms_key_id in its KMS). A put the store does not confirm as encrypted is refused and removed.
    s3_sse: Literal["", "AES256", "aws:kms"] = ""
    s3_sse_kms_key_id: str = ""
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    s3_max_attempts: int = Field(default=5, ge=1, le=20)
    s3_timeout_seconds: float = Field(default=30.0, gt=0)
    s3_presign_seconds: int = Field(default=300, ge=1, le=3600)


class S3Storage:
    """Files in an S3-compatible bucket under ``<prefix><sha[:2]>/<sha>``, through aiobotocore.

    The client is made on first use (in the running event loop) and closed by :meth:`aclose`."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        sse: str = "",
        sse_kms_key_id: str = "",
        addressing_style: str = "path",
        max_attempts: int = 5,
        timeout_seconds: float = 30.0,
        presign_seconds: int = 300,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 store needs a bucket")
        self.bucket = bucket
        self.prefix = prefix
        self.sse = sse
        self.presign_seconds = presign_seconds
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url or None,
            "region_name": region,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "config": AioConfig(
                s3={"addressing_style": addressing_style},
                retries={"max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=min(timeout_seconds, 10.0),
                read_timeout=timeout_seconds,
                signature_version="s3v4",
            ),
        }
        self._put_args: dict[str, str] = {}
        if sse:
            self._put_args["ServerSideEncryption"] = sse
            if sse == "aws:kms" and sse_kms_key_id:
                self._put_args["SSEKMSKeyId"] = sse_kms_key_id
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> S3Storage:
        return cls(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id.get_secret_value(),
            secret_access_key=settings.s3_secret_access_key.get_secret_value(),
            sse=settings.s3_sse,
            sse_kms_key_id=settings.s3_sse_kms_key_id,
            addressing_style=settings.s3_addressing_style,
            max_attempts=settings.s3_max_attempts,
            timeout_seconds=settings.s3_timeout_seconds,
            presign_seconds=settings.s3_presign_seconds,
        )

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}{check_sha256(sha256)[:2]}/{sha256}"

    async def client(self) -> Any:
        async with self._lock:
            if self._client is None:
                self._client = await self._stack.enter_async_context(
                    get_session().create_client("s3", **self._client_args)
                )
            return self._client

    async def aclose(self) -> None:
        async with self._lock:
            self._client = None
            await self._stack.aclose()

    async def ensure_bucket(self) -> None:
        """Create the bucket when missing (development and tests; production buckets are provisioned)."""
        s3 = await self.client()
        try:
            await s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND and _code(exc) != "NoSuchBucket":
                raise
            await s3.create_bucket(Bucket=self.bucket)

    async def put(self, sha256: str, path: Path) -> None:
        key = self.key_of(sha256)
        if await self.exists(sha256):
            return
        body = await anyio.Path(path).read_bytes()  # bounded by the upload limit; a retry resends it whole
        s3 = await self.client()
        try:
            answer = await s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode(),
                **self._put_args,
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning("s3 put %s/%s failed: %s", self.bucket, key, _describe(exc))
            raise StorageUnavailable() from None
        if self.sse and answer.get("ServerSideEncryption") != self.sse:
            log.error("s3 store %s did not confirm %s encryption of %s; removing it", self.bucket, self.sse, key)
            try:
                await s3.delete_object(Bucket=self.bucket, Key=key)
            except (BotoCoreError, ClientError) as exc:
                log.error("s3 delete %s/%s failed: %s", self.bucket, key, _describe(exc))
            raise StorageNotEncrypted()

    async def exists(self, sha256: str) -> bool:
        key = self.key_of(sha256)
        s3 = await self.client()
        try:
            await s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return False
            log.warning("s3 head %s/%s failed: %s", self.bucket, key, _describe(exc))
            raise StorageUnavailable() from None
        except BotoCoreError as exc:
            log.warning("s3 head %s/%s failed: %s", self.bucket, key, _describe(exc))
            raise StorageUnavailable() from None
        return True

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        key = self.key_of(sha256)
        s3 = await self.client()
        try:
            answer = await s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise FileNotFoundError(key) from None
            log.warning("s3 get %s/%s failed: %s", self.bucket, key, _describe(exc))
            raise StorageUnavailable() from None
        except BotoCoreError as exc:
            log.warning("s3 get %s/%s failed: %s", self.bucket, key, _describe(exc))
            raise StorageUnavailable() from None
        stream = answer["Body"]

        async def chunks() -> AsyncIterator[bytes]:
            async with stream:
                while chunk := await stream.read(CHUNK):
                    yield chunk

        return chunks()

    async def presigned_url(
        self, sha256: str, *, filename: str | None = None, media_type: str | None = None, seconds: int | None = None
    ) -> str:
        """A URL that reads the file without credentials for ``seconds`` (default ``s3_presign_seconds``),
        answered as a download (``filename``) of ``media_type``. Give it only to a caller already allowed
        to read the file: whoever holds the URL can read it until it expires."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self.key_of(sha256)}
        kind = media_type or "application/octet-stream"
        params["ResponseContentType"] = kind
        params["ResponseContentDisposition"] = content_disposition(filename, media_type=kind)
        s3 = await self.client()
        url: str = await s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=seconds or self.presign_seconds
        )
        return url


def storage_from(settings: Any, *, local_root: Path) -> Storage:
    """The store ``settings`` (a :class:`StorageSettings` with ``environment``) configure; in production an
    S3 store must ask for server-side encryption."""
    if settings.storage_backend == "local":
        return LocalStorage(local_root)
    if not settings.s3_bucket:
        raise ValueError("storage_backend is s3 but s3_bucket is empty")
    if settings.environment == "production" and not settings.s3_sse:
        raise ValueError("in production an S3 store must encrypt: set s3_sse (AES256 or aws:kms)")
    return S3Storage.from_settings(settings)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _describe(exc: Exception) -> str:
    # botocore's messages name the operation, endpoint and error code, never the credentials.
    return f"{type(exc).__name__}: {exc}"
