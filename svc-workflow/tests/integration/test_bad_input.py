"""Bad input and undocumented answers found by the API fuzzing (tests/integration/test_api_fuzz.py)."""

from __future__ import annotations

from ..conftest import Env


async def test_the_deadline_refuses_days_out_of_range_and_starts_past_the_calendar(env: Env) -> None:
    citizen = env.citizen()
    too_many = await env.client.get("/v1/calendar/deadline?start=2026-03-02&days=366", headers=citizen)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["pointer"] == "/days"
    # A year of working days after 9999-12-30 is past the last date Python counts: it was an OverflowError.
    far = await env.client.get("/v1/calendar/deadline?start=9999-12-30&days=5", headers=citizen)
    assert far.status_code == 422, far.text
    assert far.json()["type"] == "urn:gov-platform:problem:invalid-calendar"
    assert (await env.client.get("/v1/calendar/deadline?start=2026-03-02&days=0", headers=citizen)).status_code == 200


async def test_adding_a_year_documents_its_201(env: Env) -> None:
    spec = (await env.client.get("/openapi.json")).json()
    responses = spec["paths"]["/v1/calendar/{year}"]["put"]["responses"]
    assert responses["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/YearRead"}


async def test_holidays_are_iso_dates_not_unix_times(env: Env) -> None:
    admin = env.staff("platform_admin", region="450000", subject="admin")
    year = {"holidays": [0], "makeup_workdays": [], "source": "国务院办公厅通知（测试）"}
    resp = await env.client.put("/v1/calendar/2028", json=year, headers=admin)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["pointer"] == "/holidays/0"
