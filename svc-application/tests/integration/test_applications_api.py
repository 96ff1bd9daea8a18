"""Applying online on PostgreSQL: drafts and forms, materials, e-license reuse, pre-review, submission with
tracking numbers and the submitted event, access rules, withdrawal, the public status query."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from application.consumers import ITEMS
from gov_contracts.application import ApplicationSubmitted, ApplicationWithdrawn
from gov_contracts.catalog import ItemWithdrawn
from gov_contracts.testing import envelope

from ..conftest import ENTERPRISE, GOOD_FORM, ID_NUMBER, PDF, PNG

PROBLEM = "application/problem+json"


async def test_form_errors_point_at_the_fields(svc) -> None:
    code = svc.items[0]
    resp = await svc.create(
        svc.citizen(), code=code, form={"business_name": 7, "area_m2": 0, "contact": {"phone": "x"}}
    )
    assert resp.status_code == 422 and resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["type"].endswith(":form-invalid")
    pointers = {e["pointer"]: e["code"] for e in body["errors"]}
    assert pointers == {"/business_name": "type", "/area_m2": "minimum", "/contact/phone": "pattern"}
    assert (await svc.sql("SELECT count(*) AS n FROM application"))[0].n == 0, "a refused request changes nothing"

    # a draft may lack required fields; the pre-review names each one
    draft = (await svc.create(svc.citizen(), code=code, form={"contact": {}})).json()
    review = (await svc.client.get(f"/v1/applications/{draft['id']}/pre-review", headers=svc.citizen())).json()
    assert not review["ok"]
    assert {e["pointer"] for e in review["form_errors"]} == {"/business_name", "/area_m2", "/contact/phone"}


async def test_draft_resume_pre_review_license_reuse_and_submit(svc) -> None:
    code, citizen = svc.items[0], svc.citizen("citizen-1")
    svc.wallets["citizen-1"] = [
        {"license_id": "lic-1", "type_code": "营业执照", "type_name": "营业执照", "status": "active"}
    ]
    draft = (await svc.create(citizen, code=code, form={"business_name": "南宁小食店"})).json()
    assert draft["status"] == "draft" and draft["tracking_number"] is None and draft["channel"] == "online"
    assert draft["applicant"]["name_masked"] == "张*"

    review = (await svc.client.get(f"/v1/applications/{draft['id']}/pre-review", headers=citizen)).json()
    missing = {m["name"]: m for m in review["missing_materials"]}
    assert set(missing) == {"营业执照", "经营场所平面图"}, "the optional material is not asked for"
    assert missing["营业执照"]["replaceable_by"] == [
        {"license_id": "lic-1", "type_code": "营业执照", "type_name": "营业执照"}
    ]
    assert missing["经营场所平面图"]["replaceable_by"] == []
    assert review["license_lookup"] == "ok" and svc.wallet_calls[-1] == {"subject": "citizen-1", "types": ["营业执照"]}

    # submitting an incomplete application is refused and names what is missing
    refused = await svc.submit(draft["id"], citizen)
    assert refused.status_code == 422 and refused.json()["type"].endswith(":pre-review-failed")
    assert {m["name"] for m in refused.json()["missing_materials"]} == {"营业执照", "经营场所平面图"}

    # resume the draft, reuse the e-license (免提交), upload the plan
    saved = await svc.client.patch(f"/v1/applications/{draft['id']}", json={"form": GOOD_FORM}, headers=citizen)
    assert saved.status_code == 200 and saved.json()["form"] == GOOD_FORM
    not_held = await svc.client.post(
        f"/v1/applications/{draft['id']}/materials/license",
        json={"name": "营业执照", "license_id": "lic-9"},
        headers=citizen,
    )
    assert not_held.status_code == 422 and not_held.json()["type"].endswith(":license-not-usable")
    no_license_type = await svc.client.post(
        f"/v1/applications/{draft['id']}/materials/license",
        json={"name": "经营场所平面图", "license_id": "lic-1"},
        headers=citizen,
    )
    assert no_license_type.status_code == 422
    reused = await svc.client.post(
        f"/v1/applications/{draft['id']}/materials/license",
        json={"name": "营业执照", "license_id": "lic-1"},
        headers=citizen,
    )
    assert reused.status_code == 201 and reused.json()["verified"] is True and reused.json()["source"] == "license"
    up = await svc.upload(draft["id"], citizen, "经营场所平面图", PNG, "plan.png")
    assert up.status_code == 201 and up.json()["media_type"] == "image/png"
    assert re.fullmatch(r"[0-9a-f]{64}", up.json()["sha256"])
    assert (await svc.client.get(f"/v1/applications/{draft['id']}/pre-review", headers=citizen)).json()["ok"] is True

    submitted = await svc.submit(draft["id"], citizen)
    assert submitted.status_code == 200, submitted.text
    app = submitted.json()
    assert app["status"] == "submitted"
    assert re.fullmatch(r"450100\d{8}000001", app["tracking_number"])

    (row,) = await svc.outbox(ApplicationSubmitted.type)
    event = ApplicationSubmitted.model_validate(row.data)
    assert row.subject == draft["id"] and row.topic == "gov.application.applications"
    assert event.tracking_number == app["tracking_number"] and event.item.version == 1
    assert event.applicant.id_tail == "002X" and event.applicant.name_masked == "张*"
    assert {(m.name, m.source, m.verified) for m in event.materials} == {
        ("营业执照", "license", True),
        ("经营场所平面图", "upload", False),
    }
    assert "11010519491231002X" not in str(row.data), "no ID number travels"


async def test_upload_limits_and_content_sniffing(svc) -> None:
    citizen = svc.citizen()
    app = (await svc.create(citizen, code=svc.items[0])).json()
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
    renamed = await svc.upload(app["id"], citizen, "经营场所平面图", exe, "plan.pdf")
    assert renamed.status_code == 415 and renamed.headers["content-type"] == PROBLEM
    assert renamed.json()["detected"] == "application/x-msdownload"
    unknown = await svc.upload(app["id"], citizen, "经营场所平面图", b"just some text", "plan.pdf")
    assert unknown.status_code == 415 and unknown.json()["detected"] is None
    too_big = await svc.upload(app["id"], citizen, "经营场所平面图", PDF + b"0" * (64 * 1024), "plan.pdf")
    assert too_big.status_code == 413 and too_big.json()["type"].endswith(":material-too-large")
    unknown_name = await svc.upload(app["id"], citizen, "不存在的材料", PDF)
    assert unknown_name.status_code == 422 and unknown_name.json()["type"].endswith(":unknown-material")
    assert (await svc.sql("SELECT count(*) AS n FROM material"))[0].n == 0
    stored = [p for p in (svc.app.state.application.settings.effective_storage_dir).rglob("*") if p.is_file()]
    assert stored == [], "refused files leave nothing behind"

    ok = await svc.upload(app["id"], citizen, "经营场所平面图", PDF, "anything.bin")
    assert ok.status_code == 201 and ok.json()["media_type"] == "application/pdf"
    assert svc.app.state.application.storage.path_of(ok.json()["sha256"]).read_bytes() == PDF


async def test_others_get_404_and_staff_see_their_department(svc) -> None:
    code = svc.items[0]
    draft = await svc.complete_draft(svc.citizen("citizen-1"), code)
    mine = (await svc.submit(draft["id"], svc.citizen("citizen-1"))).json()
    assert mine["tracking_number"]
    url = f"/v1/applications/{mine['id']}"
    online_draft = (await svc.create(svc.citizen("citizen-1"), code=code)).json()
    assert (await svc.client.get(f"/v1/applications/{online_draft['id']}", headers=svc.staff())).status_code == 404, (
        "an online draft is the applicant's alone"
    )

    other = svc.citizen("citizen-2")
    for resp in (
        await svc.client.get(url, headers=other),
        await svc.client.patch(url, json={"form": GOOD_FORM}, headers=other),
        await svc.client.post(f"{url}/withdraw", json={"reason": "not mine"}, headers=other),
        await svc.submit(mine["id"], other),
        await svc.upload(mine["id"], other, "经营场所平面图"),
        await svc.client.get(f"{url}/pre-review", headers=other),
        await svc.client.get(f"/v1/applications/{uuid.uuid4()}", headers=other),
    ):
        assert resp.status_code == 404, resp.text
        assert resp.json()["type"].endswith(":application-not-found")
    assert (await svc.client.get("/v1/applications", headers=other)).json()["items"] == []

    for headers in (
        svc.staff(department="11450100MB0000000X"),  # another department
        svc.staff(region="450200"),  # another city
        svc.staff(roles=("finance",)),  # not a case role
        svc.enterprise(),  # an enterprise
        svc.system("svc-x", ("application.applications.read",)),
    ):
        assert (await svc.client.get(url, headers=headers)).status_code == 404

    for headers in (svc.staff(), svc.staff(roles=("reviewer",), region="450000")):
        seen = await svc.client.get(url, headers=headers)
        assert seen.status_code == 200 and seen.json()["tracking_number"] == mine["tracking_number"]
        listed = (await svc.client.get("/v1/applications", headers=headers)).json()["items"]
        assert [a["id"] for a in listed] == [mine["id"]]
    staff_change = await svc.client.post(f"{url}/withdraw", json={"reason": "staff try"}, headers=svc.staff())
    assert staff_change.status_code == 403, "staff read online cases but do not act as the applicant"
    own = (await svc.client.get("/v1/applications", headers=svc.citizen("citizen-1"), params={"limit": 1})).json()
    assert [a["id"] for a in own["items"]] == [online_draft["id"]], "newest first"
    rest = await svc.client.get(
        "/v1/applications", headers=svc.citizen("citizen-1"), params={"limit": 1, "cursor": own["next_cursor"]}
    )
    assert [a["id"] for a in rest.json()["items"]] == [mine["id"]] and rest.json()["next_cursor"] is None
    assert (await svc.client.get(url)).status_code == 401


async def test_enterprise_applications_are_shared_by_its_agents_with_scope(svc) -> None:
    agent = svc.enterprise("agent-1")
    app = (await svc.create(agent, code=svc.items[0], applicant={"name": "南宁小食有限公司"})).json()
    assert app["applicant"] == {
        "subject": "agent-1",
        "kind": "enterprise",
        "enterprise": ENTERPRISE,
        "agent": "agent-1",
        "name_masked": "南宁小食有限公司",
    }
    url = f"/v1/applications/{app['id']}"
    assert (await svc.client.get(url, headers=svc.enterprise("representative-1"))).status_code == 200
    read_only = svc.enterprise("agent-2", scopes=("application.applications.read",))
    assert (await svc.client.get(url, headers=read_only)).status_code == 200
    assert (await svc.client.patch(url, json={"form": GOOD_FORM}, headers=read_only)).status_code == 403
    no_scope = svc.enterprise("agent-3", scopes=())
    refused = await svc.client.get(url, headers=no_scope)
    assert refused.status_code == 403 and refused.json()["type"].endswith(":insufficient-scope")
    other_enterprise = svc.enterprise("agent-4", enterprise="91450100MA5KYYYY2Y")
    assert (await svc.client.get(url, headers=other_enterprise)).status_code == 404
    cannot_apply = await svc.create(no_scope, code=svc.items[0], applicant={"name": "南宁小食有限公司"})
    assert cannot_apply.status_code == 403


async def test_idempotent_create_and_submit(svc) -> None:
    citizen = svc.citizen()
    made = await svc.create(citizen, code=svc.items[0], key="c-1")
    remade = await svc.create(citizen, code=svc.items[0], key="c-1")
    assert made.status_code == remade.status_code == 201, made.text
    assert remade.json() == made.json() and remade.headers["Idempotent-Replayed"] == "true"
    assert remade.headers["Location"] == made.headers["Location"] == f"/v1/applications/{made.json()['id']}"
    reused = await svc.create(citizen, code=svc.items[0], key="c-1", applicant={"name": "李四", "id_number": ID_NUMBER})
    assert reused.status_code == 409 and reused.json()["type"].endswith(":idempotency-key-reused")
    draft = await svc.complete_draft(citizen, svc.items[0])
    first = await svc.submit(draft["id"], citizen, key="k-1")
    again = await svc.submit(draft["id"], citizen, key="k-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json(), "same key, same body: the original answer"
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    other_body = await svc.submit(draft["id"], citizen, key="k-1", form=GOOD_FORM)
    assert other_body.status_code == 409 and other_body.json()["type"].endswith(":idempotency-key-reused")
    other_key = await svc.submit(draft["id"], citizen, key="k-2")
    assert other_key.status_code == 409 and other_key.json()["type"].endswith(":invalid-application-state")
    no_key = await svc.client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=citizen)
    assert no_key.status_code == 400 and no_key.json()["type"].endswith(":idempotency-key-required")
    assert len(await svc.outbox(ApplicationSubmitted.type)) == 1

    created = await svc.create(citizen, code=svc.items[0], key="c-1")
    replay = await svc.create(citizen, code=svc.items[0], key="c-1")
    assert replay.json()["id"] == created.json()["id"]
    changed = await svc.create(citizen, code=svc.items[0], key="c-1", form={"business_name": "别的"})
    assert changed.status_code == 409


async def test_withdraw_before_decision_publishes_withdrawn(svc) -> None:
    citizen = svc.citizen()
    draft = await svc.complete_draft(citizen, svc.items[0])
    app = (await svc.submit(draft["id"], citizen)).json()
    resp = await svc.client.post(f"/v1/applications/{app['id']}/withdraw", json={"reason": "材料有误"}, headers=citizen)
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn"
    (row,) = await svc.outbox(ApplicationWithdrawn.type)
    assert ApplicationWithdrawn.model_validate(row.data).tracking_number == app["tracking_number"]
    again = await svc.client.post(f"/v1/applications/{app['id']}/withdraw", json={"reason": "again"}, headers=citizen)
    assert again.status_code == 409
    assert len(await svc.outbox(ApplicationWithdrawn.type)) == 1


async def test_public_status_query_shows_no_personal_data_and_is_rate_limited(svc) -> None:
    citizen = svc.citizen()
    draft = await svc.complete_draft(citizen, svc.items[0])
    app = (await svc.submit(draft["id"], citizen)).json()
    number, code = app["tracking_number"], app["query_code"]
    assert len(code) == 8
    ok = await svc.client.get("/v1/status", params={"tracking_number": number, "query_code": code.lower()})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["status"] == "submitted" and body["item_name"] == "食品经营许可"
    assert [h["status"] for h in body["history"]] == ["submitted"]
    assert not {"applicant", "form", "materials", "id", "case_id"} & set(body)
    assert "张" not in ok.text and "citizen-1" not in ok.text
    wrong = await svc.client.get("/v1/status", params={"tracking_number": number, "query_code": "23456789"})
    unknown = await svc.client.get("/v1/status", params={"tracking_number": "45010020260101999999", "query_code": code})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["type"] == unknown.json()["type"], "a wrong code looks like an unknown number"
    codes = [
        (await svc.client.get("/v1/status", params={"tracking_number": number, "query_code": "00000000"})).status_code
        for _ in range(10)
    ]
    assert codes[-1] == 429 and 429 in codes
    limited = await svc.client.get("/v1/status", params={"tracking_number": number, "query_code": code})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"


async def test_withdrawn_item_takes_no_new_applications(svc) -> None:
    code = svc.items[0]
    draft = (await svc.create(svc.citizen(), code=code)).json()
    withdrawn = ItemWithdrawn(
        implementation_code=code, version=1, region="450100", withdrawn_at=datetime(2026, 11, 27, 2, tzinfo=UTC)
    )
    async with svc.db.transaction() as session:
        await ITEMS(session, envelope(withdrawn))
    refused = await svc.create(svc.citizen(), code=code)
    assert refused.status_code == 422 and refused.json()["type"].endswith(":item-not-available")
    review = (await svc.client.get(f"/v1/applications/{draft['id']}/pre-review", headers=svc.citizen())).json()
    assert review["item_published"] is False and review["ok"] is False


async def test_reading_an_application_reads_it_and_its_materials_in_one_query(svc) -> None:
    citizen = svc.citizen("citizen-reads")
    draft = await svc.complete_draft(citizen, svc.items[0])
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "material" in statement:  # the relay and consumers share the engine; only reads of materials count
            statements.append(statement)

    engine = svc.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        resp = await svc.client.get(f"/v1/applications/{draft['id']}", headers=citizen)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert body["id"] == draft["id"] and len(body["materials"]) == 2  # both required materials uploaded
    assert len(statements) == 1 and "JOIN material" in statements[0], statements
