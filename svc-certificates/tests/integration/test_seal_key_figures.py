"""The seal keys' figure for monitoring: each department's current key's creation time on /metrics
(gov_certificates_seal_key_created_seconds), moved by a rotation (alert GovSealKeyDueForRotation)."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from certificates.figures import sample_seal_keys, seal_key_created

from ..conftest import DEPT, Api


def served(body: str) -> dict[str, float]:
    return {
        s.labels["department"]: s.value
        for f in text_string_to_metric_families(body)
        for s in f.samples
        if s.name == "gov_certificates_seal_key_created_seconds"
    }


async def test_the_current_seal_keys_age_is_on_metrics_and_a_rotation_renews_it(api: Api) -> None:
    await api.issue()  # the department's seal exists
    db = api.app.state.runtime.db
    before = (await sample_seal_keys(db))[(("department", DEPT),)]
    assert time.time() - 600 < before <= time.time()

    seal_key_created.set(api.app, await sample_seal_keys(db))
    figures = served((await api.client.get("/metrics")).text)
    assert figures[DEPT] == before

    rotated = await api.client.post(f"/v1/seals/{DEPT}/rotations", headers=api.staff("staff_admin"))
    assert rotated.status_code == 201, rotated.text
    after = await sample_seal_keys(db)
    assert after[(("department", DEPT),)] > before, "the retired key no longer counts"
    assert len([k for k in after if dict(k)["department"] == DEPT]) == 1
