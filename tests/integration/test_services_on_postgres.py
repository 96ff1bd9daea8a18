"""Every service on the production shape (PostgreSQL + Kafka): it migrates, becomes ready, reports
unready while its database is unreachable, and ready again once it is back."""

from __future__ import annotations

import asyncio
import importlib
import time

import httpx
import pytest
from sqlalchemy.engine import make_url

from gov_common.testing import SERVICES, TcpProxy, serve_lifespan


async def ready_status(client: httpx.AsyncClient) -> int:
    return (await client.get("/readyz")).status_code


async def wait_for_status(client: httpx.AsyncClient, status: int, timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        resp = await client.get("/readyz")
        if resp.status_code == status or time.monotonic() > deadline:
            return resp
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("service", SERVICES)
async def test_readiness_follows_the_database(service: str, pg_url: str, kafka_bootstrap: str, tmp_path) -> None:
    url = make_url(pg_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    module = importlib.import_module(f"{service}.main")
    settings_module = importlib.import_module(f"{service}.settings")
    settings = settings_module.Settings(
        data_dir=tmp_path,
        database_url=url.set(port=proxy.port).render_as_string(hide_password=False),
        event_bus="kafka",
        kafka_bootstrap_servers=kafka_bootstrap,
    )
    app = module.create_app(settings)
    try:
        async with serve_lifespan(app) as client:
            # Ready once its database answers (on a loaded machine the first ping may miss its 2 s).
            first = await wait_for_status(client, 200)
            assert first.status_code == 200, first.text
            assert first.json()["checks"] == {"database": "ok", "event_bus": "ok"}

            await proxy.cut()
            down = await wait_for_status(client, 503)
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.json()["checks"] == {"database": "down", "event_bus": "ok"}
            assert (await client.get("/healthz")).status_code == 200, "alive even when not ready"

            await proxy.start()
            back = await wait_for_status(client, 200)
            assert back.status_code == 200, back.text
    finally:
        await proxy.cut()
