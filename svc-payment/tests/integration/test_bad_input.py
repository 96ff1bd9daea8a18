"""Bad input found by the API fuzzing (tests/integration/test_api_fuzz.py), kept as regressions."""

from __future__ import annotations

import uuid
from typing import Any

from ..conftest import fee_request


async def test_a_business_date_is_an_iso_date_not_a_unix_time(pg_payment: Any) -> None:
    svc = pg_payment
    finance = svc.finance("finance-prov", region="450000")
    numeric = await svc.client.post("/v1/reconciliations", json={"business_date": 0}, headers=finance)
    assert numeric.status_code == 422, numeric.text
    assert numeric.json()["errors"][0]["pointer"] == "/business_date"
    in_path = await svc.client.get("/v1/reconciliations/sandbox/0", headers=finance)
    assert in_path.status_code == 422 and in_path.json()["errors"][0]["pointer"] == "/business_date"


async def test_text_postgresql_cannot_store_is_a_422_not_a_500(pg_payment: Any) -> None:
    svc = pg_payment
    body = fee_request(tracking_number="GX\u0000-1")  # a NUL character was a 500 (CharacterNotInRepertoire)
    headers = {**svc.workflow(), "Idempotency-Key": uuid.uuid4().hex}
    resp = await svc.client.post("/v1/orders", json=body, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["type"] == "urn:gov-platform:problem:unstorable-text"
    assert (await svc.client.post("/v1/orders", json=fee_request(), headers=headers)).status_code == 201
