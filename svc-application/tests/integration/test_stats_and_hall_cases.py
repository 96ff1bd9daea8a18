"""Hall cases registered by staff count as offline; the online-rate endpoint for dashboards per region,
department and item, scoped to the supervisor's region."""

from __future__ import annotations

from ..conftest import DEPT, definition


async def test_online_rate_counts_hall_cases_as_offline(svc) -> None:
    food = svc.items[0]
    other_city = await svc.publish_item(
        definition(region="450200", department={"code": "11450200MB1234567J", "name": "柳州市市场监督管理局"})
    )
    for i in range(3):
        draft = await svc.complete_draft(svc.citizen(f"c-{i}"), food)
        assert (await svc.submit(draft["id"], svc.citizen(f"c-{i}"))).status_code == 200
    await svc.create(svc.citizen("c-draft"), code=food)  # a draft is not counted

    acceptor = svc.staff("window-1", roles=("acceptor",))
    hall = await svc.create(
        acceptor, code=food, applicant={"name": "李四", "id_number": "440524188001010014", "kind": "citizen"}
    )
    assert hall.status_code == 201 and hall.json()["channel"] == "hall"
    assert hall.json()["applicant"]["subject"] is None
    for name in ("营业执照", "经营场所平面图"):
        assert (await svc.upload(hall.json()["id"], acceptor, name)).status_code == 201
    submitted = await svc.submit(hall.json()["id"], acceptor)
    assert submitted.status_code == 200 and submitted.json()["tracking_number"].startswith("450100")
    liuzhou_acceptor = svc.staff("window-2", roles=("acceptor",), department="11450200MB1234567J", region="450200")
    # Nanning's item does not allow other regions' windows to accept it (异地代收): refused, not counted.
    assert (
        await svc.create(liuzhou_acceptor, code=food, applicant={"name": "王五", "id_number": "440524188001010014"})
    ).status_code == 422
    lz = await svc.create(
        liuzhou_acceptor, code=other_city, applicant={"name": "王五", "id_number": "440524188001010014"}, submit=False
    )
    for name in ("营业执照", "经营场所平面图"):
        await svc.upload(lz.json()["id"], liuzhou_acceptor, name)
    assert (await svc.submit(lz.json()["id"], liuzhou_acceptor)).status_code == 200

    province = svc.staff("sup-1", roles=("supervisor",), region="450000", department="11450000MB0000000X")
    report = (await svc.client.get("/v1/stats/online-rate", headers=province)).json()
    assert [(r["key"], r["online"], r["offline"], r["online_rate"]) for r in report["rows"]] == [
        ("450100", 3, 1, 0.75),
        ("450200", 0, 1, 0.0),
    ]
    assert (report["online"], report["total"], report["online_rate"]) == (3, 5, 0.6)

    by_dept = (
        await svc.client.get("/v1/stats/online-rate", params={"group_by": "department"}, headers=province)
    ).json()
    assert {r["key"]: r["total"] for r in by_dept["rows"]} == {DEPT: 4, "11450200MB1234567J": 1}
    by_item = (
        await svc.client.get("/v1/stats/online-rate", params={"group_by": "item", "region": "450200"}, headers=province)
    ).json()
    assert [(r["key"], r["name"], r["total"]) for r in by_item["rows"]] == [(other_city, "食品经营许可", 1)]

    nanning = svc.staff("sup-2", roles=("supervisor",), region="450100")
    scoped = (await svc.client.get("/v1/stats/online-rate", headers=nanning)).json()
    assert [r["key"] for r in scoped["rows"]] == ["450100"]
    outside = await svc.client.get("/v1/stats/online-rate", params={"region": "450000"}, headers=nanning)
    assert outside.status_code == 403
    for headers in (svc.citizen(), svc.staff(roles=("acceptor",))):
        assert (await svc.client.get("/v1/stats/online-rate", headers=headers)).status_code == 403


async def test_hall_staff_cannot_register_an_applicant_without_identification(svc) -> None:
    acceptor = svc.staff("window-1", roles=("acceptor",))
    resp = await svc.create(acceptor, code=svc.items[0], applicant={"name": "李四", "kind": "enterprise"})
    assert resp.status_code == 422 and resp.json()["type"].endswith(":applicant-invalid")
    reviewer = svc.staff("rev-1", roles=("reviewer",))
    assert (await svc.create(reviewer, code=svc.items[0])).status_code == 403
    citizen_for_enterprise_item = await svc.publish_item(
        definition(basic_code="000112006000", service_object="enterprise")
    )
    refused = await svc.create(svc.citizen(), code=citizen_for_enterprise_item)
    assert refused.status_code == 422 and "enterprise" in refused.json()["detail"]
    assert (await svc.sql("SELECT count(*) AS n FROM application"))[0].n == 0
