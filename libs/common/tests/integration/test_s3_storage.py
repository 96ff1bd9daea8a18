"""gov_common.storage.S3Storage on the real S3-compatible test server (versitygw, scripts/infra.sh): content
addressing, the store's own SHA-256 check, encryption that must be confirmed, pre-signed downloads, and a
store that is down answering a clear 503 with nothing kept."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from gov_common.storage import S3Storage, StorageNotEncrypted, StorageSettings, StorageUnavailable, storage_from


def _need(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"{var} is not set: run the tests with `make test` (scripts/infra.sh starts the S3 server)")
    return value


@pytest.fixture
def s3_args() -> dict[str, Any]:
    return {
        "endpoint_url": _need("GOV_TEST_S3_ENDPOINT"),
        "access_key_id": _need("GOV_TEST_S3_ACCESS_KEY_ID"),
        "secret_access_key": _need("GOV_TEST_S3_SECRET_ACCESS_KEY"),
        "bucket": f"test-{uuid.uuid4().hex[:16]}",
    }


@pytest.fixture
async def store(s3_args: dict[str, Any]) -> AsyncIterator[S3Storage]:
    storage = S3Storage(prefix="materials/", **s3_args)
    await storage.ensure_bucket()
    try:
        yield storage
    finally:
        await storage.aclose()


def blob(tmp_path: Path, content: bytes) -> tuple[str, Path]:
    path = tmp_path / f"in-{uuid.uuid4().hex}"
    path.write_bytes(content)
    return hashlib.sha256(content).hexdigest(), path


async def read(store: S3Storage, sha: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(sha)])


async def test_a_file_is_kept_under_its_sha256_and_read_back_intact(store: S3Storage, tmp_path: Path) -> None:
    content = os.urandom(300_000)  # several read chunks
    sha, path = blob(tmp_path, content)
    assert not await store.exists(sha)
    await store.put(sha, path)
    assert await store.exists(sha)
    assert await read(store, sha) == content

    s3 = await store.client()
    head = await s3.head_object(Bucket=store.bucket, Key=f"materials/{sha[:2]}/{sha}")
    assert head["ContentLength"] == len(content)

    again = tmp_path / "again"
    again.write_bytes(content)
    await store.put(sha, again)  # the same content again: kept once, nothing rewritten
    listed = await s3.list_objects_v2(Bucket=store.bucket)
    assert [o["Key"] for o in listed["Contents"]] == [f"materials/{sha[:2]}/{sha}"]


async def test_the_store_refuses_content_that_does_not_match_its_name(store: S3Storage, tmp_path: Path) -> None:
    """The SHA-256 travels as x-amz-checksum-sha256 and the server checks it: a file changed between
    hashing and storing (or on the wire) is refused, and nothing is kept under the name."""
    sha, _ = blob(tmp_path, b"%PDF-1.4 the real content")
    _, other = blob(tmp_path, b"%PDF-1.4 something else")
    with pytest.raises(StorageUnavailable):
        await store.put(sha, other)
    assert not await store.exists(sha)


async def test_a_name_is_a_digest_never_a_path(store: S3Storage) -> None:
    for name in ("../../etc/passwd", "a" * 63, "A" * 64, "materials/../x"):
        with pytest.raises(ValueError):
            store.key_of(name)
        with pytest.raises(ValueError):
            await store.exists(name)


async def test_missing_content_is_file_not_found_before_the_first_chunk(store: S3Storage) -> None:
    with pytest.raises(FileNotFoundError):
        await store.open("0" * 64)


async def test_a_put_the_store_does_not_confirm_as_encrypted_is_refused_and_removed(
    s3_args: dict[str, Any], store: S3Storage, tmp_path: Path
) -> None:
    """Asked for SSE, a store that does not answer ``x-amz-server-side-encryption`` (the POSIX test server
    keeps files as they are) must not silently hold the file in clear."""
    strict = S3Storage(prefix="materials/", sse="AES256", **s3_args)
    try:
        sha, path = blob(tmp_path, b"%PDF-1.4 personal data")
        with pytest.raises(StorageNotEncrypted) as refused:
            await strict.put(sha, path)
        assert refused.value.status == 500
        assert not await store.exists(sha), "the unencrypted object was removed"
    finally:
        await strict.aclose()


async def test_a_presigned_download_reads_without_credentials_and_only_as_signed(
    store: S3Storage, tmp_path: Path
) -> None:
    content = b"%PDF-1.4 licence"
    sha, path = blob(tmp_path, content)
    await store.put(sha, path)
    url = await store.presigned_url(sha, filename="营业执照.pdf", media_type="application/pdf", seconds=60)
    async with httpx.AsyncClient(timeout=10) as client:
        got = await client.get(url)
        assert got.status_code == 200 and got.content == content
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("attachment;")

        unsigned = await client.get(url.split("?")[0])
        assert unsigned.status_code == 403, "the bucket is not public"
        other = "1" * 64
        forged = await client.get(url.replace(f"{sha[:2]}/{sha}", f"{other[:2]}/{other}"))
        assert forged.status_code == 403, "a signature is for one object only"

    expired = await store.presigned_url(sha, seconds=1)
    await asyncio.sleep(2.1)
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(expired)).status_code == 403


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_store_that_is_down_answers_a_clear_503_and_keeps_nothing(tmp_path: Path) -> None:
    down = S3Storage(
        bucket="materials",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        access_key_id="x",
        secret_access_key="y",
        max_attempts=2,
        timeout_seconds=2,
    )
    try:
        sha, path = blob(tmp_path, b"%PDF-1.4 x")
        with pytest.raises(StorageUnavailable) as refused:
            await down.put(sha, path)
        assert refused.value.status == 503 and refused.value.headers["Retry-After"] == "5"
        with pytest.raises(StorageUnavailable):
            await down.open(sha)
        assert path.exists(), "the caller's file is left for it to clean up or retry"
    finally:
        await down.aclose()


def test_settings_choose_the_store_and_production_must_encrypt(tmp_path: Path) -> None:
    class Settings(StorageSettings):
        environment: str = "development"

    assert type(storage_from(Settings(), local_root=tmp_path)).__name__ == "LocalStorage"
    with pytest.raises(ValueError, match="s3_bucket"):
        storage_from(Settings(storage_backend="s3"), local_root=tmp_path)
    with pytest.raises(ValueError, match="encrypt"):
        storage_from(Settings(storage_backend="s3", s3_bucket="m", environment="production"), local_root=tmp_path)
    made = storage_from(
        Settings(
            storage_backend="s3", s3_bucket="m", s3_sse="aws:kms", s3_sse_kms_key_id="k1", environment="production"
        ),
        local_root=tmp_path,
    )
    assert isinstance(made, S3Storage) and made.sse == "aws:kms"
    with pytest.raises(ValueError):
        Settings(s3_prefix="../x")


async def test_the_bucket_is_not_readable_with_wrong_credentials(s3_args: dict[str, Any], store: S3Storage) -> None:
    wrong = S3Storage(**{**s3_args, "secret_access_key": "not-the-secret"}, max_attempts=1)
    try:
        s3 = await wrong.client()
        with pytest.raises(ClientError):
            await s3.list_objects_v2(Bucket=store.bucket)
    finally:
        await wrong.aclose()
