"""Issue 15's attacks sent the way an attacker sends them: through the gateway of the real processes
(the gateway and the eight services as ``make run`` starts them, on PostgreSQL and Kafka, demo data on).

Each test is one finding: the attack, the refusal it gets, and a read-back that nothing changed. The
finer cases of each finding are in the other modules of this folder, against the service that decides;
finding 5 (forged forwarding headers) runs against make run's own gateway and flags in
test_forwarded_for.py, finding 8 (region leaks) in test_outbound_events.py and the city-platform journey.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import chromium, new_context
from harness import Platform
from identity_flows import CITIZEN_SCOPE, DEMO_PASSWORD, PORTAL_CLIENT, sign_in
from playwright.sync_api import Error as PlaywrightError
from steps_cases import FOOD_FORM, find_item
from steps_people import Person, agent, authorize_for_enterprise, browser, citizen, eventually, problem, staff

from gov_standards.identifiers import credit_check_character

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

ZHANGSAN_ID = "450102199001011231"  # the demo citizen's synthetic ID number
DEMO_ENTERPRISE = "91450100000000010"  # lisi's demo enterprise (check character added below)
NANNING_MARKET = "11450100MBQH0Y21QM"


def insufficient_scope(resp: httpx.Response, scope: str) -> None:
    body = problem(resp, 403)
    assert body["error"] == "insufficient_scope" and body["required_scope"] == scope, body
    assert f'scope="{scope}"' in resp.headers["www-authenticate"]


def test_1_a_stolen_access_token_cannot_take_the_recovery_phone(platform: Platform) -> None:
    """Attack: with zhangsan's access token alone, point the recovery phone (where password-reset codes go)
    at the attacker's number. Answer: the old one-step change is gone (405); the new one needs the current
    password (refused without it and with a wrong one); the phone on the account is unchanged."""
    victim = citizen(platform, "zhangsan")
    before = victim.get("/api/identity/v1/me").json()["phone_masked"]
    attacker_phone = "13912345678"
    assert (
        victim.client.patch("/api/identity/v1/me", headers=victim.auth, json={"phone": attacker_phone}).status_code
        == 405
    )
    bare = victim.post("/api/identity/v1/me/phone-changes", json={"phone": attacker_phone})
    assert bare.status_code in (401, 403, 422), bare.text
    assert bare.headers["content-type"].startswith("application/problem+json")
    wrong = victim.post(
        "/api/identity/v1/me/phone-changes", json={"phone": attacker_phone, "current_password": "not-the-password-1"}
    )
    assert wrong.status_code in (401, 403), wrong.text
    assert victim.get("/api/identity/v1/me").json()["phone_masked"] == before


def test_2_a_token_asked_with_openid_only_opens_no_platform_api(platform: Platform) -> None:
    """Attack: the portal client's token for ``scope=openid`` reads the citizen's wallet, applications and
    orders, and withdraws an application. Answer: 403 insufficient_scope naming the scope each needs."""
    openid_only = Person(
        "zhangsan", browser(platform), sign_in(browser(platform), "zhangsan", DEMO_PASSWORD, scope="openid")
    )
    insufficient_scope(openid_only.get("/api/certificates/v1/wallet/licenses"), "certificates.licenses.read")
    insufficient_scope(openid_only.get("/api/application/v1/applications"), "application.applications.read")
    insufficient_scope(openid_only.get("/api/payment/v1/orders"), "payment.orders.read")
    some_id = uuid.uuid4()
    withdraw = openid_only.post(f"/api/application/v1/applications/{some_id}/withdraw", json={"reason": "x"})
    insufficient_scope(withdraw, "application.applications.write")


def test_3_claiming_an_unregistered_enterprise_gives_nothing_until_verified(platform: Platform) -> None:
    """Attack: a level-2 citizen registers an enterprise that is not theirs by its public credit code, to act
    for it with every enterprise scope and lock the real representative out. Answer: a code the legal-person
    base does not hold stays pending (202) and gives no enterprise sign-in; an enterprise already registered
    answers 409 with the dispute path, and its representative is unchanged."""
    first17 = "91450100MA5Q7K3X0"
    stranger = first17 + credit_check_character(first17)
    claimant = citizen(platform, "zhangsan")
    claim = claimant.post("/api/identity/v1/enterprises", json={"name": "某某不存在的公司", "credit_code": stranger})
    assert claim.status_code == 202, claim.text
    refused = authorize_for_enterprise(browser(platform), "zhangsan", stranger, CITIZEN_SCOPE)
    assert refused.get("error") == "access_denied", refused
    lisis = DEMO_ENTERPRISE + credit_check_character(DEMO_ENTERPRISE)
    taken = claimant.post("/api/identity/v1/enterprises", json={"name": "广西示例科技有限公司", "credit_code": lisis})
    assert problem(taken, 409)
    lisi = agent(platform, "lisi", lisis, "openid application.applications.read")
    assert lisi.token, "the real representative still acts for the enterprise"


def test_4_the_gateway_checks_the_path_it_forwards(platform: Platform) -> None:
    """Attack: an encoded slash makes the public-route check see one path while the service receives
    another (``/api/catalog%2Fv1%2Fitems/openapi.json`` was the catalog's /openapi.json, without a token).
    Answer: 400 problem+json for encoded slashes, backslashes and dot segments; nothing forwarded."""
    with httpx.Client(base_url=platform.gateway, timeout=30) as anonymous:
        for trick in (
            "/api/catalog%2Fv1%2Fitems/openapi.json",
            "/api/catalog/v1/items/%2e%2e/%2e%2e/openapi.json",
            "/api/identity/v1%5cstaff",
            "/api/workflow/v1/cases%00",
        ):
            answer = anonymous.get(trick)
            assert answer.status_code in (400, 404), (trick, answer.status_code)
            assert answer.headers["content-type"].startswith("application/problem+json"), trick
            assert "openapi" not in answer.text.lower() or answer.status_code == 400, trick


def test_6_a_staff_admin_cannot_reset_another_admin_or_themself(platform: Platform) -> None:
    """Attack: a staff admin of Nanning resets the password and TOTP of another staff admin of Nanning (and
    their own through the admin path), to sign in as them. Answer: 403, only a platform admin acts on
    privileged accounts; the other admin's TOTP enrolment is untouched."""
    admin = staff(platform, "gx-platform-admin")
    departments = admin.get("/api/identity/v1/departments", params={"limit": 100}).json()
    rows = departments["items"] if isinstance(departments, dict) else departments
    department = next(d for d in rows if d["code"] == NANNING_MARKET)
    created = admin.post(
        "/api/identity/v1/staff",
        json={
            "username": f"nn-sa-{uuid.uuid4().hex[:6]}",
            "real_name": "第二管理员",
            "region": "450100",
            "department_id": department["id"],
            "roles": ["staff_admin"],
        },
    )
    assert created.status_code == 201, created.text
    other = created.json()
    attacker = staff(platform, "nn-staff-admin")
    problem(attacker.post(f"/api/identity/v1/staff/{other['id']}/password-reset"), 403)
    problem(attacker.post(f"/api/identity/v1/staff/{other['id']}/totp"), 403)
    me = attacker.get("/api/identity/v1/me").json()
    problem(attacker.post(f"/api/identity/v1/staff/{me['id']}/password-reset"), 403)
    listed = admin.get("/api/identity/v1/staff", params={"limit": 200}).json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    assert next(s for s in rows if s["id"] == other["id"])["totp_enrolled"] == other["totp_enrolled"]


def test_7_an_agent_acts_only_within_the_grant(platform: Platform) -> None:
    """Attack: wangwu, granted only to read and file the enterprise's applications, reads its orders and
    pays, reads its cases and licences. Answer: 403 insufficient_scope for each; identity does not even
    issue those scopes to him."""
    lisis = DEMO_ENTERPRISE + credit_check_character(DEMO_ENTERPRISE)
    wangwu = agent(platform, "wangwu", lisis, "openid application.applications.read application.applications.write")
    insufficient_scope(wangwu.get("/api/payment/v1/orders"), "payment.orders.read")
    insufficient_scope(wangwu.get("/api/workflow/v1/cases"), "workflow.cases.read")
    insufficient_scope(wangwu.get("/api/certificates/v1/wallet/licenses"), "certificates.licenses.read")
    asked = authorize_for_enterprise(browser(platform), "wangwu", lisis, "openid payment.orders.pay")
    assert asked.get("error") == "invalid_scope", asked


def _forged_credential(name: str, id_number: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, ensure_ascii=False).encode()).rstrip(b"=").decode()

    claims = {
        "iss": f"did:web:gov.example.cn:issuers:{NANNING_MARKET}",
        "vc": {"credentialSubject": {"name": name, "id_number": id_number, "license_type": "营业执照"}},
        "jti": "urn:gov:license:forged",
    }
    return f"{part({'alg': 'ES256', 'typ': 'vc+jwt', 'kid': 'forged'})}.{part(claims)}.{'A' * 86}"


def test_9_a_forged_credential_gets_the_verdict_and_nothing_of_its_claims(platform: Platform) -> None:
    """Attack: present a forged credential carrying someone's name and ID number to the public verifier,
    to have the platform echo (and so seem to vouch for) the forged personal data. Answer: the verdict
    alone; none of the forged data in the answer."""
    with httpx.Client(base_url=platform.gateway, timeout=30) as anonymous:
        answer = anonymous.post(
            "/api/certificates/v1/verify", json={"credential": _forged_credential("伪造者王某", ZHANGSAN_ID)}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] != "authentic"
    assert "伪造者" not in answer.text and ZHANGSAN_ID not in answer.text and "营业执照" not in answer.text


def test_10_a_revoked_token_stops_working_at_the_edge_and_in_the_services(platform: Platform) -> None:
    """Attack: keep using an access token after it was revoked (RFC 7009), until it expires. Answer: once
    identity lists it (the verifiers poll every few seconds), the gateway and the services refuse it."""
    holder = citizen(platform, "zhangsan")
    assert holder.get("/api/application/v1/applications").status_code == 200
    revoked = holder.client.post("/api/identity/revoke", data={"token": holder.token, "client_id": PORTAL_CLIENT})
    assert revoked.status_code == 200, revoked.text
    started = time.monotonic()
    refused = eventually(
        lambda: (r := holder.get("/api/application/v1/applications")).status_code == 401 and r,
        "the revoked token to be refused",
        timeout=60,
    )
    assert refused and time.monotonic() - started < 60


def test_10_look_alike_loopback_redirect_uris_are_refused(platform: Platform) -> None:
    """Attack: register a client whose redirect URI only starts like loopback
    (``http://127.0.0.1.evil.com``), to receive authorization codes on the attacker's host. Answer: 422,
    no client created."""
    admin = staff(platform, "gx-platform-admin")
    before = admin.get("/api/identity/v1/clients").json()
    answer = admin.post(
        "/api/identity/v1/clients",
        json={
            "name": "look-alike",
            "auth_method": "none",
            "grant_types": ["authorization_code"],
            "scopes": ["openid"],
            "redirect_uris": ["http://127.0.0.1.evil.com/callback"],
        },
    )
    assert answer.status_code == 422, answer.text
    assert admin.get("/api/identity/v1/clients").json() == before


def test_10_registration_does_not_tell_whether_an_id_number_has_an_account(platform: Platform) -> None:
    """Attack: register with someone's ID number to learn whether they have an account (409 told).
    Answer: the same 202 for a known and an unknown ID number; the known account is unchanged."""
    with httpx.Client(base_url=platform.gateway, timeout=60) as anonymous:
        known = anonymous.post(
            "/api/identity/v1/citizens",
            json={
                "username": f"probe{uuid.uuid4().hex[:8]}",
                "real_name": "张三",
                "id_number": ZHANGSAN_ID,
                "phone": "13900001111",
                "password": "Probe-2026-pass",
            },
        )
        unknown = anonymous.post(
            "/api/identity/v1/citizens",
            json={
                "username": f"probe{uuid.uuid4().hex[:8]}",
                "real_name": "李某",
                "id_number": "11010519491231002X",
                "phone": "13900002222",
                "password": "Probe-2026-pass",
            },
        )
    assert known.status_code == unknown.status_code == 202, (known.text, unknown.text)
    assert known.json().keys() == unknown.json().keys()
    assert sign_in(browser(platform), "zhangsan", DEMO_PASSWORD), "the real owner still signs in"


def test_10_public_tracking_needs_the_query_code(platform: Platform) -> None:
    """Attack: walk sequential tracking numbers with the last 4 characters of a public credit code (the old
    guard). Answer: the old parameter is refused (422) and a wrong query code gets the same 404 as an
    unknown number."""
    with httpx.Client(base_url=platform.gateway, timeout=30) as anonymous:
        old_guard = anonymous.get(
            "/api/application/v1/status", params={"tracking_number": "4501" + "0" * 16, "check": "0001"}
        )
        problem(old_guard, 422)
        guessed = anonymous.get(
            "/api/application/v1/status", params={"tracking_number": "4501" + "0" * 16, "query_code": "ABCDEFGH"}
        )
        assert guessed.status_code in (404, 422), guessed.text


def test_10_an_approver_cannot_issue_a_license_to_anyone(platform: Platform) -> None:
    """Attack: Nanning's approver issues a 营业执照 to a holder of their choosing, with no case. Answer: the
    holder cannot even be named (422) and an unknown case is 404; the citizen's wallet stays empty."""
    approver = staff(platform, "nn-approver")
    named = approver.post(
        "/api/certificates/v1/licenses",
        key=str(uuid.uuid4()),
        json={
            "type_code": "营业执照",
            "holder": {"id_type": "citizen_id", "id_number": ZHANGSAN_ID, "name": "张三"},
            "fields": {"entity_name": "假店"},
        },
    )
    problem(named, 422)
    no_case = approver.post(
        "/api/certificates/v1/licenses",
        key=str(uuid.uuid4()),
        json={"case_id": str(uuid.uuid4()), "type_code": "营业执照", "fields": {"entity_name": "假店"}},
    )
    problem(no_case, 404)
    wallet = citizen(platform, "zhangsan").get("/api/certificates/v1/wallet/licenses").json()["items"]
    assert not [lic for lic in wallet if lic.get("fields", {}).get("entity_name") == "假店"]


# Accepted as a PDF by content sniffing (it begins with %PDF), and an HTML page with a script after that.
POLYGLOT = (
    b"%PDF-1.4\n<!doctype html><html><head><title>plain</title></head><body>"
    b"<script>document.title = 'ran'; document.body.setAttribute('data-ran', document.cookie)</script>"
    b"<p id='polyglot'>polyglot</p></body></html>\n%%EOF\n"
)


def test_11_a_pdf_that_carries_html_is_never_a_page_of_the_platform(platform: Platform) -> None:
    """Attack (issue 24): upload a file that passes for a PDF by its first bytes and is an HTML page after
    them, then have the victim's browser open its download link on the platform's origin, where its script
    would run with the platform's cookies. Answer: the file is only ever a download (attachment, the sniffed
    type, nosniff, a sandboxing CSP): Chromium saves it as a .pdf and runs nothing; another citizen and
    an anonymous caller get nothing."""
    zhangsan = citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, "食品经营许可")
    draft = eventually(
        lambda: (
            answer
            if (
                answer := zhangsan.post(
                    "/api/application/v1/applications",
                    key=str(uuid.uuid4()),
                    json={
                        "item_code": item["implementation_code"],
                        "applicant": {"name": "张三", "id_number": ZHANGSAN_ID},
                        "form": FOOD_FORM,
                    },
                )
            ).status_code
            == 201
            else None
        ),
        "the item to be open for applications",
    ).json()
    wanted = zhangsan.get(f"/api/application/v1/applications/{draft['id']}/pre-review").json()["missing_materials"]
    uploaded = zhangsan.client.post(
        f"/api/application/v1/applications/{draft['id']}/materials",
        headers=zhangsan.auth,
        data={"name": wanted[0]["name"]},
        files={"file": ("<b>invoice</b>.html", POLYGLOT, "text/html")},
    )
    assert uploaded.status_code == 201 and uploaded.json()["media_type"] == "application/pdf", uploaded.text
    path = f"/api/application/v1/applications/{draft['id']}/materials/{uploaded.json()['id']}/content"

    direct = zhangsan.get(path)
    assert direct.status_code == 200 and direct.content == POLYGLOT
    assert direct.headers["content-type"] == "application/pdf"
    assert direct.headers["content-disposition"].startswith('attachment; filename="')
    assert direct.headers["x-content-type-options"] == "nosniff"
    assert direct.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox", (
        "the service's, kept"
    )
    problem(citizen(platform, "lisi").get(path), 404)
    with httpx.Client(base_url=platform.gateway, timeout=30) as anonymous:
        problem(anonymous.get(path), 401)

    with chromium() as chrome:
        context = new_context(chrome)
        context.set_extra_http_headers(zhangsan.auth)
        page = context.new_page()
        with page.expect_download() as download_info:
            try:
                page.goto(platform.gateway + path)
            except PlaywrightError as navigation:  # a navigation that turns into a download is aborted
                assert "Download is starting" in str(navigation), navigation
        download = download_info.value
        saved = Path(download.path())
        assert saved.read_bytes() == POLYGLOT and download.suggested_filename.endswith(".pdf")
        assert "<" not in download.suggested_filename and ".html" not in download.suggested_filename
        assert page.evaluate("document.title") != "ran"
        assert page.query_selector("#polyglot") is None and page.query_selector("[data-ran]") is None
        context.close()
