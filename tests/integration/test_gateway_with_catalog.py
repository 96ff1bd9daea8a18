"""The real svc-catalog app behind the gateway (platform-level: the gateway's own tests import no service)."""

from __future__ import annotations

from pathlib import Path

import httpx

from catalog.main import create_app as create_catalog
from catalog.settings import Settings as CatalogSettings
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gov_common.testing import TestIssuer
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


async def test_conditional_catalog_reads_pass_through_the_gateway(tmp_path: Path) -> None:
    """ETag, If-None-Match and Cache-Control reach the caller as the catalog chose them, with or without a
    token: a 304 through the gateway has no body and keeps its ETag, and the gateway adds no ``no-store`` of
    its own where the catalog chose its caching."""
    issuer = TestIssuer()
    catalog_app = create_catalog(CatalogSettings(data_dir=tmp_path, demo_data=True, log_json=False))
    issuer.install(catalog_app)
    async with serve(issuer.jwks_app) as identity, serve(catalog_app) as catalog:
        settings = GatewaySettings(
            upstreams={"catalog": catalog},
            jwks_url=f"{identity}/jwks",
            token_issuer=issuer.issuer,
            token_audience=issuer.audience,
            log_json=False,
            rate_limit_per_address=0,
            rate_limit_per_client=0,
        )
        async with serve(create_app(settings)) as gateway, httpx.AsyncClient(timeout=10) as client:
            listed = (await client.get(f"{gateway}/api/catalog/v1/items", params={"limit": 1})).json()
            code = listed["items"][0]["implementation_code"]
            for path, caller in (
                (f"/v1/items/{code}", {}),
                (f"/v1/items/{code}/versions/1", {}),
                (f"/v1/items/{code}", issuer.headers("citizen-1", kind="citizen")),
            ):
                direct = await client.get(f"{catalog}{path}", headers=caller)
                first = await client.get(f"{gateway}/api/catalog{path}", headers=caller)
                assert first.status_code == direct.status_code == 200, first.text
                etag, cache_control = first.headers["etag"], first.headers["cache-control"]
                assert etag == direct.headers["etag"] and etag.startswith('"')
                assert cache_control == direct.headers["cache-control"] and "no-store" not in cache_control
                assert first.content == direct.content

                for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
                    again = await client.get(f"{gateway}/api/catalog{path}", headers={**caller, "If-None-Match": tag})
                    assert again.status_code == 304, (path, tag, again.status_code)
                    assert again.content == b"" and again.headers["etag"] == etag
                    assert again.headers["cache-control"] == cache_control
                    assert again.headers.get("content-length", "0") == "0"

                stale = await client.get(f"{gateway}/api/catalog{path}", headers={**caller, "If-None-Match": '"stale"'})
                assert stale.status_code == 200 and stale.content == first.content
