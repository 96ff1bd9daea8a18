"""GET /v1/halls: a front desk (the workbench's window clerk) finds the hall that serves an appointment of
svc-application's hall, and the halls of a region subtree; bad filters are problem+json."""

from __future__ import annotations

from gov_contracts.demo import NANNING_APPOINTMENT_HALL_ID
from hall import demo


async def test_the_hall_serving_an_appointment_hall_and_a_regions_halls(api) -> None:
    async with api.db.transaction() as session:
        await demo.seed(session, api.app.state.runtime.settings)
    await api.hall()  # another Nanning hall, serving no appointment hall
    linked = await api.client.get(
        "/v1/halls", params={"appointment_hall_id": str(NANNING_APPOINTMENT_HALL_ID)}, headers=api.staff()
    )
    assert linked.status_code == 200, linked.text
    [hall] = linked.json()["items"]
    assert hall["name"] == demo.DEMO_HALL and [q["code"] for q in hall["queues"]] == ["A", "B", "C"]
    nanning = await api.client.get("/v1/halls", params={"region": "450100"}, headers=api.staff())
    assert len(nanning.json()["items"]) == 2
    liuzhou = await api.client.get("/v1/halls", params={"region": "450200"}, headers=api.staff())
    assert liuzhou.json()["items"] == []
    unknown = await api.client.get("/v1/halls", params={"appointment_hall_id": "nope"}, headers=api.staff())
    assert unknown.json()["items"] == []
    bad = await api.client.get("/v1/halls", params={"region": "45'--"}, headers=api.staff())
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert (await api.client.get("/v1/halls")).status_code == 401
