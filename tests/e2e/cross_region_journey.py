"""Accepting for another region (异地代收、全省通办) through the gateway only: Nanning's 社会保障卡申领 is made
acceptable at every window of the province (the catalog element, published); a window of Liuzhou's hall
accepts it for a person at the window on Nanning human resources' behalf; Nanning decides; the result comes
back to the Liuzhou hall, where the window hands it over (application's pick-up, workflow's deliver step).
The trace shows both sides and supervision counts both.

Refused with a problem and nothing changed: the same window accepting an item of Nanning that does not allow
it. Attacks kept: the accepting window tries to act on the decision; a window of a third region (Guilin)
looks the case and the application up.

The Liuzhou and Guilin hall departments and their staff are made the way a deployment makes them: the
platform admin registers the departments and members, who sign in with the handed-over password and TOTP."""

from __future__ import annotations

import copy
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bundle_journey
from bundle_journey import BUNDLE, DEPARTMENTS, complete
from harness import Platform
from identity_flows import STAFF_SCOPE, WORKBENCH_CLIENT, sign_in
from steps_cases import PDF
from steps_people import Person, browser, eventually, problem, staff

from gov_standards.identifiers import credit_check_character

NANNING, LIUZHOU, GUILIN = "450100", "450200", "450300"


def credit_code(region: str, serial: str) -> str:
    """A valid unified social credit code of a government body (11) of ``region`` (test data)."""
    first17 = f"11{region}MB{serial}"
    return first17 + credit_check_character(first17)


HALLS = {  # the hall departments (政务服务中心) of the windows: (region, code, name)
    "liuzhou": (LIUZHOU, credit_code(LIUZHOU, "0LH0001"), "柳州市政务服务中心"),
    "guilin": (GUILIN, credit_code(GUILIN, "0GL0001"), "桂林市政务服务中心"),
}
PERSON = {"name": "王五", "id_number": "450203199203043452", "kind": "citizen"}  # at the window, no account
FORM = {"applicant_name": "王五", "id_number": "450203199203043452", "phone": "13800000003", "bank_choice": "柳州银行"}


def member(platform: Platform, admin: Person, hall: str, *roles: str) -> Person:
    """A member of the hall department ``hall`` with ``roles``, registered by the platform admin (the
    department too, on a platform that lacks it), signed in to the staff workbench."""
    region, code, name = HALLS[hall]
    known = admin.get("/api/identity/v1/departments", params={"region": region, "limit": 200})
    assert known.status_code == 200, known.text
    department = next((d for d in known.json()["items"] if d["code"] == code), None)
    if department is None:
        made = admin.post("/api/identity/v1/departments", json={"name": name, "code": code, "region": region})
        assert made.status_code == 201, made.text
        department = made.json()
    username = f"{hall}-{'-'.join(roles)}-{uuid.uuid4().hex[:6]}"
    body = {
        "username": username,
        "real_name": username,
        "region": region,
        "department_id": department["id"],
        "roles": list(roles),
    }
    created = admin.post("/api/identity/v1/staff", json=body)
    assert created.status_code == 201, created.text
    secret = parse_qs(urlsplit(created.json()["totp_provisioning_uri"]).query)["secret"][0]
    client = browser(platform)
    token = sign_in(
        client, username, created.json()["initial_password"], client_id=WORKBENCH_CLIENT, scope=STAFF_SCOPE,
        totp_secret=secret,
    )  # fmt: skip
    return Person(username, client, token, {"department": code, "region": region})


def allow_everywhere(admin: Person, code: str) -> int:
    """Publish the next version of ``code`` acceptable at every window of the province; its version."""
    current = admin.get(f"/api/catalog/v1/items/{code}")
    assert current.status_code == 200, current.text
    definition = copy.deepcopy(current.json()["definition"])
    definition["cross_region_acceptance"] = {"regions": []}
    drafted = admin.post(f"/api/catalog/v1/items/{code}/versions", json={"definition": definition})
    assert drafted.status_code == 201, drafted.text
    version = int(drafted.json()["version"])
    for step in ("submit", "publish"):
        done = admin.post(f"/api/catalog/v1/items/{code}/versions/{version}/{step}")
        assert done.status_code == 200, done.text
    return version


def run(platform: Platform) -> dict[str, Any]:
    """The journey; the case's trace as Nanning's staff read it at the end."""
    admin = staff(platform, "gx-platform-admin")
    bundle = admin.get(f"/api/catalog/v1/bundles/{BUNDLE}")
    assert bundle.status_code == 200, bundle.text
    items = {i["department_name"]: i["implementation_code"] for i in bundle.json()["definition"]["items"]}
    hr_code, health_code = items[DEPARTMENTS["hr"][1]], items[DEPARTMENTS["health"][1]]
    version = allow_everywhere(admin, hr_code)

    window = member(platform, admin, "liuzhou", "acceptor")
    guilin = member(platform, admin, "guilin", "acceptor", "approver")
    supervisor = member(platform, admin, "liuzhou", "supervisor")
    hr = bundle_journey.department_staff(platform, staff(platform, "nn-staff-admin"), "hr")
    hall = admin.post(
        "/api/application/v1/halls",
        json={
            "name": "柳州市民中心政务服务大厅",
            "region": LIUZHOU,
            "address": "柳州市城中区三中路 (test)",
            "periods": [["09:00", "12:00"], ["13:30", "17:00"]],
            "slot_minutes": 30,
            "windows": [{"name": "全省通办窗口", "capacity_per_slot": 2}],
        },
    )
    assert hall.status_code == 201, hall.text
    hall_id = hall.json()["id"]

    # Refused, nothing changed: Nanning's 出生医学证明 may not be accepted at another region's window.
    refused = window.post(
        "/api/application/v1/applications",
        key=str(uuid.uuid4()),
        json={"item_code": health_code, "applicant": PERSON, "form": {}, "hall_id": hall_id},
    )
    body = problem(refused, 422)
    assert body["type"] == "urn:gov-platform:problem:cross-region-acceptance-not-allowed", body
    assert (body["accepting_region"], body["item_region"]) == (LIUZHOU, NANNING), body
    listed = window.get("/api/application/v1/applications", params={"item_code": health_code})
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text

    # The Liuzhou window accepts Nanning's item (once application knows the version that allows it).
    def accept() -> dict[str, Any] | None:
        made = window.post(
            "/api/application/v1/applications",
            key=str(uuid.uuid4()),
            json={"item_code": hr_code, "applicant": PERSON, "form": FORM, "hall_id": hall_id},
        )
        if made.status_code == 422 and made.json()["type"].endswith("cross-region-acceptance-not-allowed"):
            return None
        assert made.status_code == 201, made.text
        return dict(made.json()) if made.json()["item"]["version"] == version else None

    app = eventually(accept, f"{hr_code} v{version} acceptable at Liuzhou's windows")
    assert app["accepted_for"] == {
        "region": LIUZHOU,
        "department": HALLS["liuzhou"][1],
        "acceptor": app["accepted_for"]["acceptor"],
        "hall_id": hall_id,
    }
    assert (app["region"], app["department"]["code"]) == (NANNING, DEPARTMENTS["hr"][0])
    url = f"/api/application/v1/applications/{app['id']}"
    review = window.get(f"{url}/pre-review").json()
    for missing in review["missing_materials"]:
        up = window.client.post(
            f"{url}/materials",
            headers=window.auth,
            data={"name": missing["name"]},
            files={"file": ("material.pdf", PDF, "application/octet-stream")},
        )
        assert up.status_code == 201, up.text
    submitted = window.post(f"{url}/submit", key=str(uuid.uuid4()), json={})
    assert submitted.status_code == 200, submitted.text
    number = submitted.json()["tracking_number"]
    assert number.startswith(NANNING), "the owner's region numbers the case"
    chosen = window.client.put(f"{url}/delivery", headers=window.auth, json={"method": "pickup", "hall_id": hall_id})
    assert chosen.status_code == 200, chosen.text

    # Nanning's staff find it in their inbox; the Liuzhou window sees the case's status but acts on nothing.
    def accept_task() -> dict[str, Any] | None:
        inbox = hr.get("/api/workflow/v1/tasks", params={"tracking_number": number, "status": "open"})
        assert inbox.status_code == 200, inbox.text
        return next((t for t in inbox.json()["items"] if t["kind"] == "accept"), None)

    task = eventually(accept_task, f"the accept task of {number} in Nanning's inbox")
    case_id = task["case_id"]
    case_url = f"/api/workflow/v1/cases/{case_id}"
    seen = window.get(case_url)
    assert seen.status_code == 200 and seen.json()["applicant"] is None, seen.text
    assert seen.json()["accepted_for"] == {"region": LIUZHOU, "department": HALLS["liuzhou"][1]}
    here = window.get("/api/workflow/v1/cases", params={"accepted_here": "true"}).json()["items"]
    assert case_id in [c["id"] for c in here]
    problem(window.post(f"/api/workflow/v1/tasks/{task['id']}/claim"), 404)  # attack: not the window's to act on
    assert window.get("/api/workflow/v1/tasks", params={"tracking_number": number}).json()["items"] == []
    # attack: a window of a third region sees neither the application nor the case
    problem(guilin.get(url), 404)
    problem(guilin.get(case_url), 404)
    problem(guilin.get(f"{case_url}/trace"), 404)

    decided = bundle_journey.accept_review_approve(hr, number)
    assert decided["decision"] == "approved", decided

    # The result goes back to Liuzhou: Nanning dispatches it to the hall, the window hands it over.
    def approved() -> dict[str, Any] | None:
        got = window.get(url).json()
        return got if got["status"] in ("approved", "completed") else None

    eventually(approved, f"{number} approved in the application service")
    problem(window.post(f"{url}/delivery/dispatch"), 403)  # the decision's side sends the result
    dispatched = hr.post(f"{url}/delivery/dispatch")
    assert dispatched.status_code == 200 and dispatched.json()["status"] == "ready_for_pickup", dispatched.text
    problem(guilin.post(f"{url}/delivery/handover"), 404)
    handed = window.post(f"{url}/delivery/handover")
    assert handed.status_code == 200 and handed.json()["status"] == "picked_up", handed.text
    # the deliver step is the window's: it closes the case
    window.extra["department"] = HALLS["liuzhou"][1]
    done = complete(window, number, "deliver", {"action": "complete", "opinion": "已在柳州全省通办窗口交付"})
    assert done["status"] == "completed", done

    trace = hr.get(f"{case_url}/trace")
    assert trace.status_code == 200, trace.text
    entries = trace.json()["entries"]
    assert entries[0]["details"]["accepted_for"]["region"] == LIUZHOU
    assert entries[0]["details"]["on_behalf_of"] == {"department": DEPARTMENTS["hr"][0], "region": NANNING}
    by_action = {e["action"]: e for e in entries}
    assert by_action["approve"]["department"] == DEPARTMENTS["hr"][0], "decided by Nanning"
    assert by_action["delivered"]["department"] == HALLS["liuzhou"][1], "handed over by Liuzhou"

    # Supervision counts both sides: Liuzhou's accepted for others, Nanning's handled for others.
    lz = supervisor.get("/api/workflow/v1/supervision/summary").json()["cross_region"]
    assert [(r["department"], r["cases"] >= 1) for r in lz["accepted_for_others"]] == [(HALLS["liuzhou"][1], True)]
    nn = staff(platform, "nn-supervisor").get("/api/workflow/v1/supervision/summary").json()["cross_region"]
    assert DEPARTMENTS["hr"][0] in [r["department"] for r in nn["handled_for_others"]], nn
    return dict(trace.json())
