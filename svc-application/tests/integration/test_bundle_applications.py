"""Bundle applications (一件事一次办) on PostgreSQL: one application for a bundle of three items in three
departments, the merged form and materials given once (an e-license checked once for every part), fanned
out into one submitted application per item; the parts followed to the bundle's end, a supplement in one part
stalling no other; bad input refused with nothing written; who sees what (another person's bundle id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from application.consumers import ITEMS
from gov_contracts.application import ApplicationSubmitted, BundleCompleted, BundleSubmitted
from gov_contracts.catalog import BundlePublished, ItemWithdrawn
from gov_contracts.testing import envelope

from ..conftest import ID_NUMBER, PDF, case_event, definition, make_hall

PROBLEM = "application/problem+json"
REGION = "450100"
HEALTH, POLICE, HR = "11450100MBECJA39QK", "11450100MB725PY8DX", "11450100MB3H7RX2LK"
FIELDS = {
    "baby_name": {"type": "string", "minLength": 2},
    "father_name": {"type": "string", "minLength": 2},
    "bank_choice": {"type": "string", "enum": ["工商银行", "农业银行"]},
}
FORM = {"baby_name": "张小宝", "father_name": "张三", "bank_choice": "工商银行"}
BUNDLE = "YJS-450100-TEST"


def _schema(*names: str) -> dict[str, Any]:
    return {"type": "object", "properties": {n: FIELDS[n] for n in names}, "required": list(names)}


def items() -> dict[str, Any]:
    cert = definition(
        basic_code="000107001000",
        name="出生医学证明首次签发",
        service_object="citizen",
        department={"code": HEALTH, "name": "南宁市卫生健康委员会"},
        materials=[{"name": "母亲居民身份证", "license_type": "居民身份证"}, {"name": "新生儿出生信息登记表"}],
        form_schema=_schema("baby_name"),
    )
    hukou = definition(
        basic_code="000104001000",
        name="出生登记",
        service_object="citizen",
        department={"code": POLICE, "name": "南宁市公安局"},
        materials=[{"name": "父母居民身份证", "license_type": "居民身份证"}, {"name": "出生医学证明"}],
        form_schema=_schema("baby_name", "father_name"),
    )
    card = definition(
        basic_code="000108003000",
        name="社会保障卡申领",
        service_object="citizen",
        department={"code": HR, "name": "南宁市人力资源和社会保障局"},
        materials=[{"name": "居民身份证", "license_type": "居民身份证"}, {"name": "近期免冠照片"}],
        form_schema=_schema("bank_choice"),
    )
    return {"cert": cert, "hukou": hukou, "card": card}


def bundle_published(codes: dict[str, str], version: int = 1) -> BundlePublished:
    """As catalog publishes it: the three items, the ID card asked once for all three (its name in each)."""

    def merged(name: str, uses: list[tuple[str, str]], license_type: str | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "license_type": license_type,
            "used_by": [codes[k] for k, _ in uses],
            "satisfies": [{"implementation_code": codes[k], "name": there} for k, there in uses],
        }

    id_card = [("cert", "母亲居民身份证"), ("hukou", "父母居民身份证"), ("card", "居民身份证")]
    return BundlePublished.model_validate(
        {
            "code": BUNDLE,
            "version": version,
            "published_at": datetime(2026, 12, 1, tzinfo=UTC),
            "definition": {
                "code": BUNDLE,
                "name": "新生儿出生一件事",
                "region": REGION,
                "life_event": "出生",
                "description": "一次办好",
                "items": [
                    {
                        "implementation_code": codes[k],
                        "version": 1,
                        "name": k,
                        "department_name": k,
                        "promised_days": 5,
                    }
                    for k in ("cert", "hukou", "card")
                ],
                "materials": [
                    merged("母亲居民身份证", id_card, "居民身份证"),
                    merged("新生儿出生信息登记表", [("cert", "新生儿出生信息登记表")]),
                    merged("出生医学证明", [("hukou", "出生医学证明")]),
                    merged("近期免冠照片", [("card", "近期免冠照片")]),
                ],
                "form_schema": _schema("baby_name", "father_name", "bank_choice"),
                "promised_days": 5,
                "fully_online": True,
            },
        }
    )


async def publish_bundle(svc) -> dict[str, str]:
    codes = {k: await svc.publish_item(d) for k, d in items().items()}
    async with svc.db.transaction() as session:
        await ITEMS(session, envelope(bundle_published(codes)))
    return codes


async def start(svc, headers: dict[str, str], *, code: str = BUNDLE, form: dict[str, Any] | None = None) -> Any:
    body = {"bundle_code": code, "applicant": {"name": "张三", "id_number": ID_NUMBER}, "form": form or FORM}
    return await svc.client.post(
        "/v1/bundle-applications", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
    )


async def upload(svc, bundle_id: str, headers: dict[str, str], name: str) -> Any:
    return await svc.client.post(
        f"/v1/bundle-applications/{bundle_id}/materials",
        data={"name": name},
        files={"file": ("doc.pdf", PDF, "application/octet-stream")},
        headers=headers,
    )


async def submitted_bundle(svc, citizen: dict[str, str], subject: str = "citizen-1") -> dict[str, Any]:
    """A bundle with the ID card given once from the wallet, the rest uploaded, submitted."""
    svc.wallets[subject] = [{"license_id": "id-1", "type_code": "居民身份证", "type_name": "居民身份证"}]
    bundle = (await start(svc, citizen)).json()
    used = await svc.client.post(
        f"/v1/bundle-applications/{bundle['id']}/materials/license",
        json={"name": "母亲居民身份证", "license_id": "id-1"},
        headers=citizen,
    )
    assert used.status_code == 201, used.text
    for name in ("新生儿出生信息登记表", "出生医学证明", "近期免冠照片"):
        assert (await upload(svc, bundle["id"], citizen, name)).status_code == 201
    done = await svc.client.post(
        f"/v1/bundle-applications/{bundle['id']}/submit", headers={**citizen, "Idempotency-Key": "k1"}
    )
    assert done.status_code == 200, done.text
    return dict(done.json())


async def test_one_application_for_three_departments_each_material_once(svc) -> None:
    codes = await publish_bundle(svc)
    citizen = svc.citizen("citizen-1")
    svc.wallets["citizen-1"] = [{"license_id": "id-1", "type_code": "居民身份证", "type_name": "居民身份证"}]
    created = await start(svc, citizen)
    assert created.status_code == 201, created.text
    bundle = created.json()
    assert created.headers["location"].endswith(f"/v1/bundle-applications/{bundle['id']}")
    assert bundle["status"] == "draft" and bundle["bundle"]["code"] == BUNDLE
    parts = {p["item"]["implementation_code"]: p for p in bundle["parts"]}
    assert set(parts) == set(codes.values())
    assert {p["department"]["code"] for p in bundle["parts"]} == {HEALTH, POLICE, HR}
    # each part holds its item's fields of the merged form only
    hukou = (
        await svc.client.get(f"/v1/applications/{parts[codes['hukou']]['application_id']}", headers=citizen)
    ).json()
    assert hukou["form"] == {"baby_name": "张小宝", "father_name": "张三"}
    assert hukou["bundle_id"] == bundle["id"], "a part leads to its bundle"

    review = (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}/pre-review", headers=citizen)).json()
    assert review["ok"] is False and review["form_errors"] == []
    missing = {m["name"]: m for m in review["missing_materials"]}
    assert set(missing) == {"母亲居民身份证", "新生儿出生信息登记表", "出生医学证明", "近期免冠照片"}, "each once"
    assert sorted(missing["母亲居民身份证"]["items"]) == sorted(codes.values())

    # the ID card from the wallet: checked once, used by all three parts under each item's own name
    used = await svc.client.post(
        f"/v1/bundle-applications/{bundle['id']}/materials/license",
        json={"name": "母亲居民身份证", "license_id": "id-1"},
        headers=citizen,
    )
    assert used.status_code == 201, used.text
    assert len(svc.wallet_calls) == 1
    assert {(p["item_code"], p["material"]["name"]) for p in used.json()["parts"]} == {
        (codes["cert"], "母亲居民身份证"),
        (codes["hukou"], "父母居民身份证"),
        (codes["card"], "居民身份证"),
    }
    for name in ("新生儿出生信息登记表", "出生医学证明", "近期免冠照片"):
        up = await upload(svc, bundle["id"], citizen, name)
        assert up.status_code == 201 and len(up.json()["parts"]) == 1, up.text
    view = (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}", headers=citizen)).json()
    assert all(sorted(m["held_by"]) == sorted(m["used_by"]) for m in view["materials"]), view["materials"]

    # a part is not submitted alone
    alone = await svc.submit(parts[codes["card"]]["application_id"], citizen)
    assert alone.status_code == 409 and alone.json()["type"].endswith(":part-of-bundle")

    submitted = await svc.client.post(
        f"/v1/bundle-applications/{bundle['id']}/submit", headers={**citizen, "Idempotency-Key": "k1"}
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted" and all(p["status"] == "submitted" for p in body["parts"])
    assert len({p["tracking_number"] for p in body["parts"]}) == 3
    again = await svc.client.post(
        f"/v1/bundle-applications/{bundle['id']}/submit", headers={**citizen, "Idempotency-Key": "k1"}
    )
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"

    events = [ApplicationSubmitted.model_validate(r.data) for r in await svc.outbox(ApplicationSubmitted.type)]
    assert len(events) == 3
    assert {e.bundle_id for e in events} == {bundle["id"]} and {e.bundle_code for e in events} == {BUNDLE}
    assert {e.department.code for e in events} == {HEALTH, POLICE, HR}
    (fact,) = [BundleSubmitted.model_validate(r.data) for r in await svc.outbox(BundleSubmitted.type)]
    assert fact.bundle_id == bundle["id"] and len(fact.parts) == 3


async def test_a_supplement_in_one_part_stalls_no_other_and_the_bundle_ends_with_the_last(svc) -> None:
    codes = await publish_bundle(svc)
    citizen = svc.citizen("citizen-1")
    bundle = await submitted_bundle(svc, citizen)
    parts = {p["item"]["implementation_code"]: p for p in bundle["parts"]}
    apps = {
        k: (await svc.client.get(f"/v1/applications/{parts[c]['application_id']}", headers=citizen)).json()
        for k, c in codes.items()
    }
    cases = {k: f"case-{k}" for k in apps}
    for k, app in apps.items():
        await svc.deliver_case_event(case_event("workflow.case.accepted", app, cases[k]))
    missing = [{"material": "出生医学证明", "reason": "不清晰"}]
    await svc.deliver_case_event(
        case_event("workflow.case.supplement_requested", apps["hukou"], cases["hukou"], missing=missing)
    )
    for k in ("cert", "card"):
        await svc.deliver_case_event(case_event("workflow.case.approved", apps[k], cases[k]))
        await svc.deliver_case_event(case_event("workflow.case.completed", apps[k], cases[k]))

    view = (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}", headers=citizen)).json()
    status = {p["item"]["implementation_code"]: p for p in view["parts"]}
    assert status[codes["cert"]]["status"] == status[codes["card"]]["status"] == "completed"
    assert status[codes["hukou"]]["status"] == "supplement_requested"
    assert status[codes["hukou"]]["supplement_request"]["missing"] == missing  # shown in context
    assert view["status"] == "submitted" and view["progress"] == {"parts": 3, "ended": 2, "completed": 2}
    assert await svc.outbox(BundleCompleted.type) == []

    # the supplement is answered on its part; the bundle's own materials are closed
    late = await upload(svc, bundle["id"], citizen, "出生医学证明")
    assert late.status_code == 409 and late.json()["type"].endswith(":invalid-application-state")
    hukou_id = apps["hukou"]["id"]
    assert (await svc.upload(hukou_id, citizen, "出生医学证明")).status_code == 201
    answered = await svc.client.post(f"/v1/applications/{hukou_id}/supplement", json={}, headers=citizen)
    assert answered.status_code == 200, answered.text
    await svc.deliver_case_event(case_event("workflow.case.approved", apps["hukou"], cases["hukou"]))
    await svc.deliver_case_event(case_event("workflow.case.completed", apps["hukou"], cases["hukou"]))

    view = (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}", headers=citizen)).json()
    assert view["status"] == "completed" and view["completed_at"] is not None
    assert view["progress"] == {"parts": 3, "ended": 3, "completed": 3}
    (done,) = [BundleCompleted.model_validate(r.data) for r in await svc.outbox(BundleCompleted.type)]
    assert done.outcome == "completed" and {p.status for p in done.parts} == {"completed"}


async def test_a_refused_part_ends_the_bundle_partial(svc) -> None:
    codes = await publish_bundle(svc)
    citizen = svc.citizen("citizen-1")
    bundle = await submitted_bundle(svc, citizen)
    by_code = {p["item"]["implementation_code"]: p["application_id"] for p in bundle["parts"]}
    apps = {
        k: (await svc.client.get(f"/v1/applications/{by_code[c]}", headers=citizen)).json() for k, c in codes.items()
    }
    await svc.deliver_case_event(case_event("workflow.case.refused", apps["card"], "case-card"))
    for k in ("cert", "hukou"):
        await svc.deliver_case_event(case_event("workflow.case.approved", apps[k], f"case-{k}"))
        await svc.deliver_case_event(case_event("workflow.case.completed", apps[k], f"case-{k}"))
    view = (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}", headers=citizen)).json()
    assert view["status"] == "partial" and view["progress"] == {"parts": 3, "ended": 3, "completed": 2}
    (done,) = [BundleCompleted.model_validate(r.data) for r in await svc.outbox(BundleCompleted.type)]
    assert done.outcome == "partial"


async def _counts(svc) -> tuple[int, int]:
    bundles = (await svc.sql("SELECT count(*) AS n FROM bundle_application"))[0].n
    applications = (await svc.sql("SELECT count(*) AS n FROM application"))[0].n
    return bundles, applications


async def test_bad_input_is_a_problem_and_changes_nothing(svc) -> None:
    codes = await publish_bundle(svc)
    citizen = svc.citizen("citizen-1")
    before = await _counts(svc)

    unknown = await start(svc, citizen, code="YJS-NO-SUCH")
    assert unknown.status_code == 422 and unknown.headers["content-type"] == PROBLEM
    assert unknown.json()["type"].endswith(":bundle-not-available")
    bad_form = await start(svc, citizen, form={"bank_choice": "某银行"})
    assert bad_form.status_code == 422 and bad_form.json()["errors"][0]["pointer"] == "/bank_choice"
    assert await _counts(svc) == before

    # materials missing: the submit names them (each once) and submits no part
    draft = (await start(svc, citizen)).json()
    refused = await svc.client.post(
        f"/v1/bundle-applications/{draft['id']}/submit", headers={**citizen, "Idempotency-Key": "k"}
    )
    assert refused.status_code == 422 and refused.json()["type"].endswith(":pre-review-failed")
    assert len(refused.json()["missing_materials"]) == 4
    unknown_material = await upload(svc, draft["id"], citizen, "户口本")
    assert unknown_material.status_code == 422 and unknown_material.json()["type"].endswith(":unknown-material")
    states = {r.status for r in await svc.sql("SELECT status FROM application")}
    assert states == {"draft"} and await svc.outbox(ApplicationSubmitted.type) == []

    # an item of the bundle no longer published: the bundle is refused, naming it, and nothing is written
    withdrawn = ItemWithdrawn(
        implementation_code=codes["card"], version=1, region=REGION, withdrawn_at=datetime(2026, 12, 2, tzinfo=UTC)
    )
    async with svc.db.transaction() as session:
        await ITEMS(session, envelope(withdrawn))
    before = await _counts(svc)
    unpublished = await start(svc, citizen)
    assert unpublished.status_code == 422 and unpublished.headers["content-type"] == PROBLEM
    assert unpublished.json()["type"].endswith(":item-not-available")
    assert unpublished.json()["items"] == [codes["card"]]
    assert await _counts(svc) == before


async def test_only_the_applicant_and_the_departments_involved_see_the_bundle(svc) -> None:
    codes = await publish_bundle(svc)
    owner = svc.citizen("citizen-1")
    draft = (await start(svc, owner)).json()
    other = svc.citizen("citizen-2")
    police = svc.staff("police-1", roles=("acceptor",), department=POLICE)

    # another person's bundle id: not found, whatever they try
    url = f"/v1/bundle-applications/{draft['id']}"
    assert (await svc.client.get(url, headers=other)).status_code == 404
    assert (await svc.client.get(f"{url}/pre-review", headers=other)).status_code == 404
    assert (await upload(svc, draft["id"], other, "出生医学证明")).status_code == 404
    assert (await svc.client.patch(url, json={"form": FORM}, headers=other)).status_code == 404
    stolen = await svc.client.post(f"{url}/submit", headers={**other, "Idempotency-Key": "x"})
    assert stolen.status_code == 404 and stolen.json()["type"].endswith(":bundle-application-not-found")
    assert (await svc.client.get("/v1/bundle-applications", headers=other)).json()["items"] == []
    assert [b["id"] for b in (await svc.client.get("/v1/bundle-applications", headers=owner)).json()["items"]] == [
        draft["id"]
    ]
    # a draft is the applicant's alone, staff included
    assert (await svc.client.get(url, headers=police)).status_code == 404
    # a forged id
    assert (await svc.client.get(f"/v1/bundle-applications/{uuid.uuid4()}", headers=owner)).status_code == 404
    assert (await svc.client.get("/v1/bundle-applications/..%2Fapplications", headers=owner)).status_code in (404, 422)

    bundle = await submitted_bundle(svc, owner)
    url = f"/v1/bundle-applications/{bundle['id']}"
    seen = await svc.client.get(url, headers=police)
    assert seen.status_code == 200, seen.text
    view = seen.json()
    assert view["form"] is None and view["materials"] is None  # the sibling cases' status, not the person's file
    assert {p["department"]["code"] for p in view["parts"]} == {HEALTH, POLICE, HR}
    assert all(p["query_code"] is None for p in view["parts"])
    # a department with no part of it does not see it, nor may the police change it
    market = svc.staff("market-1", roles=("acceptor", "reviewer", "approver"))
    assert (await svc.client.get(url, headers=market)).status_code == 404
    changed = await svc.client.patch(url, json={"form": FORM}, headers=police)
    assert changed.status_code == 403 and changed.json()["type"].endswith(":not-allowed")
    assert (await svc.client.get(url, headers=other)).status_code == 404
    assert codes  # the three items stay published


async def test_the_same_on_the_embedded_default(serve_application) -> None:
    """SQLite (make run's default): the bundle's tables, its fan-out and its end."""
    async with serve_application() as svc:
        codes = await publish_bundle(svc)
        citizen = svc.citizen("citizen-1")
        bundle = await submitted_bundle(svc, citizen)
        assert bundle["status"] == "submitted" and {p["status"] for p in bundle["parts"]} == {"submitted"}
        by_code = {p["item"]["implementation_code"]: p["application_id"] for p in bundle["parts"]}
        for key, code in codes.items():
            app = (await svc.client.get(f"/v1/applications/{by_code[code]}", headers=citizen)).json()
            await svc.deliver_case_event(case_event("workflow.case.withdrawn", app, f"case-{key}"))
        view = (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}", headers=citizen)).json()
        assert view["status"] == "partial" and view["progress"]["ended"] == 3


async def test_a_hall_window_applies_for_the_person_there(svc) -> None:
    """A hall acceptor registers the bundle for a person without an account and follows it; another hall's
    acceptor does not see it."""
    await publish_bundle(svc)
    window = svc.staff("hall-1", roles=("acceptor",))
    body = {
        "bundle_code": BUNDLE,
        "applicant": {"name": "王五", "id_number": ID_NUMBER, "kind": "citizen"},
        "form": FORM,
    }
    made = await svc.client.post(
        "/v1/bundle-applications", json=body, headers={**window, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert made.status_code == 201, made.text
    bundle = made.json()
    assert bundle["channel"] == "hall" and bundle["applicant"]["subject"] is None
    for name in ("母亲居民身份证", "新生儿出生信息登记表", "出生医学证明", "近期免冠照片"):
        assert (await upload(svc, bundle["id"], window, name)).status_code == 201
    done = await svc.client.post(
        f"/v1/bundle-applications/{bundle['id']}/submit", headers={**window, "Idempotency-Key": "h1"}
    )
    assert done.status_code == 200 and done.json()["form"] == FORM, done.text
    other_window = svc.staff("hall-2", roles=("acceptor",), region="450200")
    assert (await svc.client.get(f"/v1/bundle-applications/{bundle['id']}", headers=other_window)).status_code == 404


async def test_one_delivery_for_the_whole_bundle(svc) -> None:
    """The person chooses delivery once for the bundle: every part gets it, or none (a method one item does not
    offer names that item, nothing written); another person finds no bundle, a department's staff may not."""
    codes = await publish_bundle(svc)
    citizen = svc.citizen()
    bundle = await submitted_bundle(svc, citizen)
    url = f"/v1/bundle-applications/{bundle['id']}/delivery"
    hall = await make_hall(svc)
    # The social security card is no longer mailed: mail for the whole bundle is refused, nothing written.
    no_mail = items()["card"].model_copy(update={"delivery": ("electronic", "pickup")})
    await svc.publish_item(no_mail, version=2)
    address = {"recipient": "张三", "phone": "13800000001", "region": "450103", "detail": "民族大道 1 号"}
    refused = await svc.client.put(url, json={"method": "mail", "address": address}, headers=citizen)
    assert refused.status_code == 422 and refused.json()["type"].endswith(":delivery-not-allowed"), refused.text
    assert refused.json()["item_code"] == codes["card"]
    assert (await svc.sql("SELECT count(*) AS n FROM delivery"))[0].n == 0

    for stranger, status in ((svc.citizen("citizen-2"), 404), (svc.staff("hr-1", department=HR), 403)):
        resp = await svc.client.put(url, json={"method": "pickup", "hall_id": hall["id"]}, headers=stranger)
        assert resp.status_code == status and resp.headers["content-type"] == "application/problem+json"

    chosen = await svc.client.put(url, json={"method": "pickup", "hall_id": hall["id"]}, headers=citizen)
    assert chosen.status_code == 200, chosen.text
    body = chosen.json()
    assert (body["method"], body["hall_id"]) == ("pickup", hall["id"])
    assert sorted(p["application_id"] for p in body["parts"]) == sorted(p["application_id"] for p in bundle["parts"])
    assert {(p["method"], p["hall_id"], p["status"]) for p in body["parts"]} == {("pickup", hall["id"], "requested")}
    # each part's own delivery says the same
    part = bundle["parts"][0]["application_id"]
    own = await svc.client.get(f"/v1/applications/{part}/delivery", headers=citizen)
    assert own.status_code == 200 and own.json()["hall_id"] == hall["id"]
