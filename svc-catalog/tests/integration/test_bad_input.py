"""Bad input found by the API fuzzing (tests/integration/test_api_fuzz.py), kept as regressions."""

from __future__ import annotations

from typing import Any

BEYOND_INT32 = 2**31  # the version column is a 32-bit integer; 2524216803102103699456 was a 500


async def test_a_version_number_beyond_its_column_is_a_422_not_a_500(api: Any) -> None:
    answers = [
        await api.client.get(f"/v1/items/X/versions/{BEYOND_INT32}"),
        await api.client.post(f"/v1/items/X/versions/{BEYOND_INT32}/submit", headers=api.editor()),
        await api.client.get(f"/v1/bundles/X/versions/{BEYOND_INT32}"),
        await api.client.post(f"/v1/bundles/X/versions/{BEYOND_INT32}/publish", headers=api.publisher()),
        await api.client.get("/v1/items/X/versions/0"),
    ]
    for resp in answers:
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["errors"][0]["pointer"] == "/version"
    assert (await api.client.get(f"/v1/items/X/versions/{BEYOND_INT32 - 1}")).status_code == 404
