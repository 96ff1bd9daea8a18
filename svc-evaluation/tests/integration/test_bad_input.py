"""Bad input found by the API fuzzing (tests/integration/test_api_fuzz.py), kept as regressions."""

from __future__ import annotations

from typing import Any


async def test_periods_are_iso_dates_not_unix_times(api: Any) -> None:
    # to=0 was read as 1970-01-01 and answered an empty ranking.
    for params in ({"to": "0"}, {"from": "1700000000"}):
        resp = await api.client.get("/v1/rankings/departments", params=params)
        assert resp.status_code == 422, resp.text
        assert resp.json()["errors"][0]["in"] == "query"
    fine = await api.client.get("/v1/rankings/departments", params={"from": "2026-01-01", "to": "2026-01-31"})
    assert fine.status_code == 200 and fine.json()["date_to"] == "2026-01-31"


async def test_creates_document_that_a_replay_is_the_first_201(api: Any) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    for path, model in (("/v1/consultations", "ConsultationRead"), ("/v1/ratings", "RatingRead")):
        operation = paths[path]["post"]
        assert "200" not in operation["responses"], f"{path}: a replay answers the first 201, not a 200"
        created = operation["responses"]["201"]
        assert created["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}
        assert "Idempotent-Replayed" in created["headers"], path
        key = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert len(key) == 1 and key[0]["required"] is False, f"{path}: the key is optional"
