"""The one-thing journey (一件事一次办) through the gateway only: a citizen applies once for Nanning's newborn
bundle (出生医学证明 by health, 出生登记 by police, 社会保障卡 by human resources: three departments), with its
merged form and each material uploaded once; each department's staff handle their own case (the police ask
for a supplement, which stalls no other case); the two fees are paid in one payment; the person follows one
status and receives every licence the bundle yields.

The three departments' staff are made the way a deployment makes them: Nanning's staff admin registers the
departments and a member of each (acceptor, reviewer and approver), who signs in with the handed-over
password and TOTP secret."""

from __future__ import annotations

import copy
import html
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from harness import Platform
from identity_flows import STAFF_SCOPE, WORKBENCH_CLIENT, sign_in
from steps_cases import PDF
from steps_people import Person, browser, citizen, eventually, problem, staff

from gov_standards.china_time import china_date, utcnow

BUNDLE = "YJS-450100-NEWBORN"
NANNING = "450100"
DEPARTMENTS = {  # catalog's demo departments (svc-catalog/src/catalog/seed/catalog.json)
    "health": ("11450100MBECJA39QK", "南宁市卫生健康委员会"),
    "police": ("11450100MB725PY8DX", "南宁市公安局"),
    "hr": ("11450100MB3H7RX2LK", "南宁市人力资源和社会保障局"),
}
FEES = {  # a fee for two of the items (test data: the demo items are free)
    "police": {"name": "居民户口簿工本费", "legal_basis": "端到端测试用收费依据（仅测试环境）", "amount_fen": 800},
    "hr": {"name": "社会保障卡工本费", "legal_basis": "端到端测试用收费依据（仅测试环境）", "amount_fen": 2000},
}
LICENCES = {"health": "出生医学证明", "hr": "社会保障卡"}
FORM = {
    "applicant_name": "张三",
    "id_number": "450102199001011231",
    "phone": "13800000001",
    "baby_name": "张小宝",
    "baby_birth_date": "2026-11-20",
    "baby_sex": "男",
    "mother_name": "李四",
    "father_name": "张三",
    "bank_choice": "中国工商银行",
}
SUPPLEMENTED = "出生医学证明"  # the police ask for this scan again


def department_staff(platform: Platform, admin: Person, key: str) -> Person:
    """A member of the department ``key`` with the three case roles and finance, signed in to the staff
    workbench."""
    code, name = DEPARTMENTS[key]
    known = admin.get("/api/identity/v1/departments", params={"region": NANNING, "limit": 200})
    assert known.status_code == 200, known.text
    department = next((d for d in known.json()["items"] if d["code"] == code), None)
    if department is None:  # the first journey on this platform registers it
        made = admin.post("/api/identity/v1/departments", json={"name": name, "code": code, "region": NANNING})
        assert made.status_code == 201, made.text
        department = made.json()
    username = f"nn-{key}-{uuid.uuid4().hex[:6]}"
    body = {
        "username": username,
        "real_name": username,
        "region": NANNING,
        "department_id": department["id"],
        "roles": ["acceptor", "reviewer", "approver", "finance"],
    }
    created = admin.post("/api/identity/v1/staff", json=body)
    assert created.status_code == 201, created.text
    secret = parse_qs(urlsplit(created.json()["totp_provisioning_uri"]).query)["secret"][0]
    client = browser(platform)
    token = sign_in(
        client,
        username,
        created.json()["initial_password"],
        client_id=WORKBENCH_CLIENT,
        scope=STAFF_SCOPE,
        totp_secret=secret,
    )
    return Person(username, client, token, {"department": code})


def add_fee(admin: Person, code: str, fee: dict[str, Any]) -> int:
    """Publish the next version of ``code`` with ``fee`` (a fee is only inherited: the caller does the
    province's item first); its version."""
    current = admin.get(f"/api/catalog/v1/items/{code}")
    assert current.status_code == 200, current.text
    definition = copy.deepcopy(current.json()["definition"])
    definition["fees"] = [fee]
    drafted = admin.post(f"/api/catalog/v1/items/{code}/versions", json={"definition": definition})
    assert drafted.status_code == 201, drafted.text
    version = int(drafted.json()["version"])
    for step in ("submit", "publish"):
        done = admin.post(f"/api/catalog/v1/items/{code}/versions/{version}/{step}")
        assert done.status_code == 200, done.text
    return version


def complete(worker: Person, tracking_number: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Claim the case's open task of ``kind`` from the worker's inbox and complete it; the case."""

    def task() -> dict[str, Any] | None:
        inbox = worker.get("/api/workflow/v1/tasks", params={"limit": 100, "status": "open"})
        assert inbox.status_code == 200, inbox.text
        mine = [t for t in inbox.json()["items"] if t["tracking_number"] == tracking_number and t["kind"] == kind]
        return mine[0] if mine else None

    found = eventually(task, f"the {kind} task of {tracking_number} in {worker.name}'s inbox")
    assert found["department"] == worker.extra["department"], found
    assert worker.post(f"/api/workflow/v1/tasks/{found['id']}/claim").status_code == 200
    done = worker.post(f"/api/workflow/v1/tasks/{found['id']}/complete", json=body)
    assert done.status_code == 200, done.text
    return dict(done.json())


def accept_review_approve(worker: Person, tracking_number: str) -> dict[str, Any]:
    complete(worker, tracking_number, "accept", {"action": "accept", "opinion": "材料齐全，予以受理"})
    complete(worker, tracking_number, "review", {"action": "complete", "opinion": "审查通过"})
    return complete(worker, tracking_number, "decide", {"action": "approve", "opinion": "准予办理"})


def bundle_view(person: Person, bundle_id: str) -> dict[str, Any]:
    got = person.get(f"/api/application/v1/bundle-applications/{bundle_id}")
    assert got.status_code == 200, got.text
    return dict(got.json())


def parts_by_department(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    codes = {code: key for key, (code, _) in DEPARTMENTS.items()}
    return {codes[p["department"]["code"]]: p for p in view["parts"]}


def part_in(person: Person, bundle_id: str, key: str, status: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        part = parts_by_department(bundle_view(person, bundle_id))[key]
        return part if part["status"] == status else None

    return eventually(probe, f"the {key} part {status}")


def pay_once(person: Person, case_ids: list[str]) -> dict[str, Any]:
    """The fee orders of the cases appear; the person pays them in one combined payment on the sandbox
    channel's page; every order is paid."""

    def orders() -> list[dict[str, Any]] | None:
        found = []
        for case_id in case_ids:
            page = person.get("/api/payment/v1/orders", params={"case_id": case_id})
            assert page.status_code == 200, page.text
            found += page.json()["items"]
        return found if len(found) == len(case_ids) else None

    due = eventually(orders, "a fee order for each case with fees")
    started = person.post(
        "/api/payment/v1/combined-payments",
        key=str(uuid.uuid4()),
        json={"order_ids": [o["id"] for o in due], "channel": "sandbox"},
    )
    assert started.status_code == 201, started.text
    combined = started.json()
    assert combined["amount_fen"] == sum(f["amount_fen"] for f in FEES.values()) == sum(o["amount_fen"] for o in due)
    assert len(combined["by_department"]) == len(FEES)
    with httpx.Client(timeout=60) as channel:  # the provider's page, outside the platform, no token
        page = channel.get(combined["pay_url"])
        assert page.status_code == 200 and "<form" in page.text, page.text[:300]
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, page.text[:300]
        done = channel.post(urljoin(combined["pay_url"], html.unescape(action[1])), data={"action": "pay"})
        assert done.status_code < 400, done.text[:300]

    def paid() -> dict[str, Any] | None:
        got = person.get(f"/api/payment/v1/combined-payments/{combined['id']}")
        assert got.status_code == 200, got.text
        body = got.json()
        return body if body["status"] == "paid" and all(o["status"] == "paid" for o in body["orders"]) else None

    return eventually(paid, "the combined payment paid")


def run(platform: Platform) -> dict[str, Any]:
    """The journey; the bundle as the person last sees it."""
    admin = staff(platform, "gx-platform-admin")
    bundle = admin.get(f"/api/catalog/v1/bundles/{BUNDLE}")
    assert bundle.status_code == 200, bundle.text
    items = {i["department_name"]: i["implementation_code"] for i in bundle.json()["definition"]["items"]}
    codes = {key: items[name] for key, (_, name) in DEPARTMENTS.items()}
    versions = {}
    for key, fee in FEES.items():
        inherits = admin.get(f"/api/catalog/v1/items/{codes[key]}").json()["inherits"]
        add_fee(admin, inherits, fee)
        versions[key] = add_fee(admin, codes[key], fee)

    hall_admin = staff(platform, "nn-staff-admin")
    workers = {key: department_staff(platform, hall_admin, key) for key in DEPARTMENTS}
    person = citizen(platform, "zhangsan")

    # Apply once: one draft with a part per item, once the application service knows the items' new versions.
    def start() -> dict[str, Any] | None:
        made = person.post(
            "/api/application/v1/bundle-applications",
            key=str(uuid.uuid4()),
            json={"bundle_code": BUNDLE, "applicant": {"name": "张三", "id_number": FORM["id_number"]}, "form": FORM},
        )
        if made.status_code == 422 and made.json()["type"].endswith(("bundle-not-available", "item-not-available")):
            return None
        assert made.status_code == 201, made.text
        parts = parts_by_department(made.json())
        fresh = all(parts[k]["item"]["version"] == v for k, v in versions.items())
        return dict(made.json()) if fresh else None

    draft = eventually(start, f"bundle {BUNDLE} open for applications with its items' fees")
    bundle_id = draft["id"]
    assert {p["status"] for p in draft["parts"]} == {"draft"} and len(draft["parts"]) == 3

    # Bad input is a problem and changes nothing: an unknown bundle; submitting before the materials.
    unknown = person.post(
        "/api/application/v1/bundle-applications",
        key=str(uuid.uuid4()),
        json={"bundle_code": "YJS-450100-NONE", "applicant": {"name": "张三", "id_number": FORM["id_number"]}},
    )
    assert problem(unknown, 422)["type"] == "urn:gov-platform:problem:bundle-not-available"
    early = person.post(f"/api/application/v1/bundle-applications/{bundle_id}/submit", key=str(uuid.uuid4()))
    assert problem(early, 422)["type"] == "urn:gov-platform:problem:pre-review-failed"
    assert {p["status"] for p in bundle_view(person, bundle_id)["parts"]} == {"draft"}

    review = person.get(f"/api/application/v1/bundle-applications/{bundle_id}/pre-review").json()
    assert review["form_errors"] == [] and review["items_unavailable"] == [], review
    names = [m["name"] for m in review["missing_materials"]]
    assert len(names) == len(set(names)), "each material asked once"
    merged = {m["name"]: m for m in bundle.json()["definition"]["materials"]}
    assert any(len(merged[n]["used_by"]) > 1 for n in names), "a material more than one item needs"
    for name in names:
        up = person.client.post(
            f"/api/application/v1/bundle-applications/{bundle_id}/materials",
            headers=person.auth,
            data={"name": name},
            files={"file": ("material.pdf", PDF, "application/octet-stream")},
        )
        assert up.status_code == 201, up.text
    submitted = person.post(f"/api/application/v1/bundle-applications/{bundle_id}/submit", key=str(uuid.uuid4()))
    assert submitted.status_code == 200, submitted.text
    parts = parts_by_department(submitted.json())
    assert {p["status"] for p in parts.values()} == {"submitted"}
    numbers = {k: p["tracking_number"] for k, p in parts.items()}

    # Attack: another person with this bundle's id learns nothing of it.
    stranger = citizen(platform, "lisi")
    problem(stranger.get(f"/api/application/v1/bundle-applications/{bundle_id}"), 404)

    # The police ask for a supplement; health and human resources go on meanwhile.
    missing = [{"material": SUPPLEMENTED, "reason": "扫描件不清晰"}]
    case = complete(
        workers["police"],
        numbers["police"],
        "accept",
        {"action": "request_supplement", "opinion": "请补正材料", "missing": missing},
    )
    assert case["status"] == "supplementing" and case["clock_stopped"] is True, case
    for key in ("health", "hr"):
        decided = accept_review_approve(workers[key], numbers[key])
        assert decided["decision"] == "approved", decided
    police_part = part_in(person, bundle_id, "police", "supplement_requested")
    assert police_part["supplement_request"]["missing"] == missing
    # staff of one department see the siblings' state, not the person's file
    seen = bundle_view(workers["health"], bundle_id)
    assert seen["form"] is None and len(seen["parts"]) == 3

    # health has no fee: it delivers at once, while the police case waits for the person
    complete(workers["health"], numbers["health"], "deliver", {"action": "complete", "opinion": "已送达"})
    part_in(person, bundle_id, "health", "completed")
    assert bundle_view(person, bundle_id)["status"] == "submitted"

    police_app = police_part["application_id"]
    up = person.client.post(
        f"/api/application/v1/applications/{police_app}/materials",
        headers=person.auth,
        data={"name": SUPPLEMENTED},
        files={"file": ("material.pdf", PDF, "application/octet-stream")},
    )
    assert up.status_code == 201 and up.json()["round"] == 1, up.text
    answered = person.post(f"/api/application/v1/applications/{police_app}/supplement", json={})
    assert answered.status_code == 200, answered.text
    accept_review_approve(workers["police"], numbers["police"])

    # One payment for both fees; each department's case goes on.
    view = bundle_view(person, bundle_id)
    fee_cases = [parts_by_department(view)[k]["case_id"] for k in FEES]
    assert all(fee_cases), view["parts"]
    pay_once(person, fee_cases)
    # Reconciliation: the channel's one line for the trade matches; each department sees what it collected.
    day = china_date(utcnow()).isoformat()
    for key, fee in FEES.items():
        run = workers[key].post("/api/payment/v1/reconciliations", json={"channel": "sandbox", "business_date": day})
        assert run.status_code == 201, run.text
        report = run.json()
        assert report["statement_total_fen"] == report["ledger_total_fen"], report
        own = [(d["department"], d["paid_fen"]) for d in report["by_department"]]
        assert own == [(DEPARTMENTS[key][0], fee["amount_fen"])], report["by_department"]
    for key in FEES:
        part_in(person, bundle_id, key, "approved")
        complete(workers[key], numbers[key], "deliver", {"action": "complete", "opinion": "已送达"})

    def finished() -> dict[str, Any] | None:
        got = bundle_view(person, bundle_id)
        return got if got["status"] == "completed" else None

    final = eventually(finished, f"bundle {bundle_id} completed")
    assert final["progress"] == {"parts": 3, "ended": 3, "completed": 3}, final["progress"]

    # Every licence the bundle yields is in the person's wallet.
    parts = parts_by_department(final)
    for key, licence in LICENCES.items():

        def issued(key: str = key, licence: str = licence) -> dict[str, Any] | None:
            page = person.get("/api/certificates/v1/wallet/licenses", params={"type": licence})
            assert page.status_code == 200, page.text
            mine = [lic for lic in page.json()["items"] if lic["case_id"] == parts[key]["case_id"]]
            return mine[0] if mine else None

        lic = eventually(issued, f"the {licence} of the {key} case")
        assert lic["status"] == "active" and lic["issuer"]["code"] == DEPARTMENTS[key][0], lic
    return final
