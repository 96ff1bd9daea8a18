"""The real svc-catalog app behind the gateway (platform-level: the gateway's own tests import no service)."""

from __future__ import annotations

from pathlib import Path

import httpx

from catalog.main import create_app as create_catalog
from catalog.settings import Settings as CatalogSettings
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gov_common.testing import serve_on_port as serve


async def test_catalog_behind_the_gateway(tmp_path: Path) -> None:
    async with serve(create_catalog(CatalogSettings(data_dir=tmp_path))) as catalog:
        settings = GatewaySettings(upstreams={"catalog": catalog}, log_json=False, openapi_cache_seconds=60)
        async with serve(create_app(settings)) as gateway, httpx.AsyncClient(timeout=10) as client:
            health = await client.get(f"{gateway}/api/catalog/healthz", headers={"X-Request-ID": "cat-1"})
            assert health.status_code == 200
            assert health.json() == {"status": "ok"}
            assert health.headers["x-request-id"] == "cat-1"

            ready = await client.get(f"{gateway}/readyz")
            assert ready.json()["upstreams"] == {"catalog": "ready"}

            doc = (await client.get(f"{gateway}/api/openapi.json")).json()
            assert "/api/catalog/healthz" in doc["paths"]
            assert "/api/catalog/readyz" in doc["paths"]
            assert all(path.startswith("/api/catalog/") for path in doc["paths"])
            assert doc["x-unavailable-services"] == []
            assert doc["tags"][0]["name"] == "catalog"

            missing = await client.get(f"{gateway}/api/catalog/v1/items/NO-SUCH-ITEM")
            assert missing.status_code == 404, "a public read: the catalog itself answers"
            assert missing.headers["content-type"] == "application/problem+json"

            refused = await client.get(f"{gateway}/api/catalog/no/such/route")
            assert refused.status_code == 401, "not public: refused at the edge without a token"
            assert refused.headers["content-type"] == "application/problem+json"
