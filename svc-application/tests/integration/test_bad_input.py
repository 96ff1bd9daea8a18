"""Bad input found by the API fuzzing (tests/integration/test_api_fuzz.py), kept as regressions."""

from __future__ import annotations

import uuid
from typing import Any


async def test_dates_in_queries_are_iso_8601_not_unix_times(svc: Any) -> None:
    province = svc.staff("sup-1", roles=("supervisor",), region="450000", department="11450000MB0000000X")
    # to=0 was read as 1970-01-01 and answered an empty report.
    numeric = await svc.client.get("/v1/stats/online-rate", params={"to": "0"}, headers=province)
    assert numeric.status_code == 422, numeric.text
    assert numeric.json()["errors"][0]["pointer"] == "/to"
    fine = await svc.client.get("/v1/stats/online-rate", params={"to": "2026-01-31"}, headers=province)
    assert fine.status_code == 200 and fine.json()["to_date"] == "2026-01-31"
    slots = await svc.client.get(f"/v1/halls/{uuid.uuid4()}/slots", params={"day": "1767225600"}, headers=svc.citizen())
    assert slots.status_code == 422 and slots.json()["errors"][0]["pointer"] == "/day"


async def test_an_id_number_that_fails_gb_11643_is_refused_and_nothing_is_created(svc: Any) -> None:
    citizen = svc.citizen("citizen-bad-id")
    code = svc.items[0]
    # Right shape, wrong check character (the pattern alone let it through).
    bad = await svc.create(citizen, code=code, applicant={"name": "张三", "id_number": "110105194912310021"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"][0]["pointer"] == "/applicant/id_number"
    listed = await svc.client.get("/v1/applications", headers=citizen)
    assert listed.status_code == 200 and listed.json()["items"] == []
    good = await svc.create(citizen, code=code, applicant={"name": "张三", "id_number": "440524188001010014"})
    assert good.status_code == 201, good.text
