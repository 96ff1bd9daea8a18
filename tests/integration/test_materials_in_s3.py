"""Materials uploaded through the gateway land in a real S3-compatible server (versitygw, built by
scripts/infra.sh) and read back intact; a restart of that server while uploads are in flight loses no
upload that was acknowledged, and an upload it could not keep is answered 503 (retry), never 201."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.consumers import ITEMS
from application.main import create_app as create_application
from application.settings import Settings as ApplicationSettings
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from gov_common.storage import S3Storage
from gov_common.testing import TestIssuer
from gov_common.testing import serve_on_port as serve
from gov_contracts import testing

ACCESS, SECRET = "materials-test", "materials-test-secret-key"
BUCKET = "materials"
FORM = {
    "enterprise_name": "南宁小食店",
    "credit_code": "91450100MA5KXXXX1Y",
    "legal_representative": "张三",
    "phone": "13800000001",
    "business_address": "南宁市青秀区民族大道 1 号",
    "food_business_category": "餐饮服务",
}


def sha_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(size)


class Versitygw:
    """A private versitygw (the binary scripts/infra.sh built) on its own port and folder, so that this
    test may kill and restart it without touching the shared test server."""

    def __init__(self, root: Path) -> None:
        binary = os.environ.get("GOV_TEST_VERSITYGW")
        if not binary or not Path(binary).exists():
            pytest.fail("GOV_TEST_VERSITYGW is not set: run the tests with `make test` (scripts/infra.sh builds it)")
        self.binary, self.root = binary, root
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ROOT_ACCESS_KEY_ID": ACCESS, "ROOT_SECRET_ACCESS_KEY": SECRET}
        with (self.root / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--port", f"127.0.0.1:{self.port}", "--quiet", "posix", str(self.root / "data")],
                env=env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                assert self.proc.poll() is None, (self.root / "server.log").read_text()
                time.sleep(0.05)
        raise AssertionError("versitygw did not listen")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # a crash, not a clean shutdown
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[Versitygw]:
    server = Versitygw(tmp_path / "s3")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def direct(s3_server: Versitygw) -> AsyncIterator[S3Storage]:
    """A second client of the store, to look at what is really in the bucket."""
    store = S3Storage(
        bucket=BUCKET,
        prefix="materials/",
        endpoint_url=s3_server.endpoint,
        access_key_id=ACCESS,
        secret_access_key=SECRET,
    )
    await store.ensure_bucket()
    try:
        yield store
    finally:
        await store.aclose()


async def platform(
    s3_server: Versitygw, pg_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, dict[str, str], httpx.AsyncClient]]:
    issuer = TestIssuer()
    settings = ApplicationSettings(
        data_dir=tmp_path,
        database_url=pg_url,
        environment="test",
        log_json=False,
        max_upload_bytes=2 * 1024 * 1024,
        storage_backend="s3",
        s3_endpoint_url=s3_server.endpoint,
        s3_bucket=BUCKET,
        s3_prefix="materials/",
        s3_access_key_id=ACCESS,
        s3_secret_access_key=SECRET,
        s3_max_attempts=3,
        s3_timeout_seconds=3,
    )
    app = create_application(settings)
    issuer.install(app)
    async with serve(issuer.jwks_app) as identity, serve(app) as application:
        async with app.state.runtime.db.transaction() as session:
            await ITEMS(session, testing.envelope(testing.item_published()))
        gateway_settings = GatewaySettings(
            upstreams={"application": application},
            jwks_url=f"{identity}/jwks",
            token_issuer=issuer.issuer,
            token_audience=issuer.audience,
            log_json=False,
            rate_limit_per_address=0,
            rate_limit_per_client=0,
        )
        async with serve(create_gateway(gateway_settings)) as gateway, httpx.AsyncClient(timeout=60) as client:
            yield f"{gateway}/api/application/v1", issuer.headers("citizen-s3", kind="citizen"), client


@pytest.fixture
async def through_gateway(
    s3_server: Versitygw, direct: S3Storage, pg_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, dict[str, str], httpx.AsyncClient]]:
    async for running in platform(s3_server, pg_url, tmp_path):
        yield running


async def new_draft(api: str, citizen: dict[str, str], client: httpx.AsyncClient) -> str:
    created = await client.post(
        f"{api}/applications",
        json={
            "item_code": testing.implementation_code(testing.item_definition()),
            "applicant": {"name": "张三", "id_number": "11010519491231002X"},
            "form": FORM,
        },
        headers={**citizen, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert created.status_code == 201, created.text
    app_id: str = created.json()["id"]
    return app_id


async def upload(
    api: str, citizen: dict[str, str], client: httpx.AsyncClient, app_id: str, content: bytes
) -> httpx.Response:
    return await client.post(
        f"{api}/applications/{app_id}/materials",
        data={"name": "食品经营许可申请书"},
        files={"file": ("申请书.pdf", content, "application/pdf")},
        headers=citizen,
    )


async def materials_of(
    api: str, citizen: dict[str, str], client: httpx.AsyncClient, app_id: str
) -> list[dict[str, Any]]:
    got = await client.get(f"{api}/applications/{app_id}", headers=citizen)
    assert got.status_code == 200, got.text
    found: list[dict[str, Any]] = got.json()["materials"]
    return found


async def test_materials_through_the_gateway_land_in_the_object_store_and_read_back_intact(
    through_gateway: tuple[str, dict[str, str], httpx.AsyncClient], direct: S3Storage
) -> None:
    api, citizen, client = through_gateway
    app_id = await new_draft(api, citizen, client)
    content = pdf(700_000)
    sha = hashlib.sha256(content).hexdigest()

    stored = await upload(api, citizen, client, app_id, content)
    assert stored.status_code == 201, stored.text
    assert stored.json()["sha256"] == sha

    s3 = await direct.client()
    head = await s3.head_object(Bucket=BUCKET, Key=f"materials/{sha[:2]}/{sha}")
    assert head["ContentLength"] == len(content), "the file is in the bucket, under its SHA-256"
    assert b"".join([c async for c in await direct.open(sha)]) == content

    read = await client.get(f"{api}/applications/{app_id}/materials/{stored.json()['id']}/content", headers=citizen)
    assert read.status_code == 200 and read.content == content
    assert hashlib.sha256(read.content).hexdigest() == sha

    other = await client.get(
        f"{api}/applications/{app_id}/materials/{stored.json()['id']}/content",
        headers={"Authorization": "Bearer forged"},
    )
    assert other.status_code == 401, "the store's content is read only through the service's access check"


async def test_a_restart_of_the_store_mid_upload_loses_no_accepted_upload(
    through_gateway: tuple[str, dict[str, str], httpx.AsyncClient], direct: S3Storage, s3_server: Versitygw
) -> None:
    api, citizen, client = through_gateway
    app_id = await new_draft(api, citizen, client)

    # 1. The store is down: the upload is refused with a clear, retryable problem, and nothing is recorded.
    s3_server.kill()
    content = pdf(300_000)
    refused = await upload(api, citizen, client, app_id, content)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("storage-unavailable") and refused.headers["retry-after"] == "5"
    assert await materials_of(api, citizen, client, app_id) == []
    s3_server.start()
    retried = await upload(api, citizen, client, app_id, content)
    assert retried.status_code == 201, retried.text

    # 2. Uploads in flight while the server crashes and comes back: each is either acknowledged (and then
    # whole in the store) or refused; none is acknowledged and lost.
    contents = [pdf(200_000 + i) for i in range(8)]

    keys = [s3_server.root / "data" / BUCKET / "materials" / h[:2] / h for h in map(sha_of, contents)]

    async def crash_and_restart() -> None:
        """Crash the server once the first of these files is in it (the others are then being received
        or stored), and bring it back after longer than the client's retries wait."""
        deadline = time.monotonic() + 30
        while not any(k.exists() for k in keys) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(s3_server.kill)
        await asyncio.sleep(2.5)
        await asyncio.to_thread(s3_server.start)

    answers = await asyncio.gather(*(upload(api, citizen, client, app_id, c) for c in contents), crash_and_restart())
    statuses = [a.status_code for a in answers[:-1]]
    assert set(statuses) <= {201, 503}, statuses
    assert 201 in statuses, "the crash came after the first file was kept"
    accepted = {a.json()["sha256"]: a.json()["id"] for a in answers[:-1] if a.status_code == 201}
    recorded = {m["sha256"] for m in await materials_of(api, citizen, client, app_id)}
    assert recorded == set(accepted) | {hashlib.sha256(content).hexdigest()}, "only acknowledged uploads are recorded"
    for blob in contents:
        sha = hashlib.sha256(blob).hexdigest()
        if sha in accepted:
            read = await client.get(f"{api}/applications/{app_id}/materials/{accepted[sha]}/content", headers=citizen)
            assert read.status_code == 200 and read.content == blob, "an acknowledged upload is whole after the crash"
        else:  # refused: the client retries and it is kept
            again = await upload(api, citizen, client, app_id, blob)
            assert again.status_code == 201, again.text
            assert b"".join([c async for c in await direct.open(sha)]) == blob
