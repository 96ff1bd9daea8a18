"""Bad input found by the API fuzzing (tests/integration/test_api_fuzz.py), kept as regressions."""

from __future__ import annotations

from typing import Any


async def test_catalog_changes_read_times_as_iso_8601_and_versions_within_bigint(serve_exchange: Any) -> None:
    async with serve_exchange() as ex:
        await ex.register("nanning-platform")
        headers = ex.system("nanning-platform")
        # since_time=0 was read as a Unix time (1970) and answered 200.
        # A time without its offset names no moment (it was read as UTC, exchange's other times refuse it).
        for query in ("since_time=0", "since_time=1700000000", f"since={2**63}", "since_time=2026-01-01T00:00:00"):
            resp = await ex.client.get(f"/v1/catalog/changes?{query}", headers=headers)
            assert resp.status_code == 422, (query, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
        fine = await ex.client.get("/v1/catalog/changes?since_time=2026-01-01T00:00:00%2B08:00", headers=headers)
        assert fine.status_code == 200, fine.text
