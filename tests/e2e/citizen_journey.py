"""Journey 1 as reusable steps, through the gateway only: a citizen registers, signs in (OIDC code + PKCE),
finds 食品经营许可 by a Chinese search, applies with a form and materials (the business licence as an
e-license they already hold), supplements when asked (补正), pays the fee in the sandbox channel, and after
Nanning's market-regulation staff accept, review and approve, receives the food business licence, verifies
it publicly, downloads its PDF and rates the service.

:func:`prepare` runs once per platform (staff sign in; the platform admin gives the item a fee); then
:func:`run_journey` (or the steps one by one) once per citizen. Each step asserts what a front-end would
see. The steps use one ``httpx.Client`` per person (its cookies are the browser's), so many citizens can
run at once in threads; :class:`Staff` is shared and thread-safe.
"""

from __future__ import annotations

import copy
import html
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin

import httpx
from harness import Platform
from identity_flows import DEMO_PASSWORD, STAFF_SCOPE, WORKBENCH_CLIENT, client_credentials, sign_in, totp_secrets

from gov_standards.identifiers import id_check_character

T = TypeVar("T")

NANNING, PROVINCE = "450100", "450000"
NN_MARKET = "11450100MBQH0Y21QM"  # 南宁市市场监督管理局 (the demo staff's department)
FOOD_BASIC_CODE = "000112004000"  # 食品经营许可: produces 食品经营许可证, takes the 营业执照 as an e-license
SEARCH = "食品经营许可"
LICENSE_MATERIAL = "营业执照"
BUSINESS_LICENSE_TYPE = "11100000000013338W001"  # 营业执照 (certificates' demo license types)
RESULT_LICENSE = "食品经营许可证"
FEE = {
    "name": "食品经营许可证工本费",
    "legal_basis": "端到端测试用收费依据（仅测试环境）",
    "amount_fen": 1500,
}
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TIMEOUT = 180.0  # events cross Kafka and consumer groups rebalance; the machine is loaded
STAFF_ROLES = ("acceptor", "reviewer", "approver")
TOKEN_REFRESH_SECONDS = 400  # access tokens live 600 s


def eventually(probe: Callable[[], T | None], what: str, timeout: float = TIMEOUT) -> T:
    """Poll ``probe`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.25)


def polled(resp: httpx.Response) -> Any:
    """The JSON of a 200 answer to a poll; None for a 5xx (a service restarting or its database away: the
    front-end asks again), an assertion error for anything else."""
    if resp.status_code >= 500:
        return None
    assert resp.status_code == 200, resp.text
    return resp.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def idempotent(token: str) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": uuid.uuid4().hex}


def client(platform: Platform) -> httpx.Client:
    """A browser-like client of the gateway (its own cookie jar)."""
    return httpx.Client(base_url=platform.gateway, timeout=60)


# ---------------------------------------------------------------- staff


class Staff:
    """Nanning market-regulation staff and the platform admin, signed in through OIDC with their TOTP codes;
    tokens are renewed before they expire (the browser session signs in again without a second factor)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.secrets = totp_secrets(platform.demo_text("identity"))
        self._clients: dict[str, httpx.Client] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, username: str) -> str:
        with self._lock:
            held = self._tokens.get(username)
            if held and time.monotonic() - held[1] < TOKEN_REFRESH_SECONDS:
                return held[0]
            browser = self._clients.setdefault(username, client(self.platform))
            token = sign_in(
                browser,
                username,
                DEMO_PASSWORD,
                client_id=WORKBENCH_CLIENT,
                scope=STAFF_SCOPE,
                totp_secret=self.secrets[username],
            )
            self._tokens[username] = (token, time.monotonic())
            return token

    def headers(self, role: str) -> dict[str, str]:
        """A Nanning staff member of ``role`` (acceptor, reviewer, approver)."""
        return bearer(self.token(f"nn-{role}"))

    def close(self) -> None:
        for browser in self._clients.values():
            browser.close()


@dataclass
class Setup:
    """What :func:`prepare` leaves for the journeys."""

    platform: Platform
    staff: Staff
    item_code: str  # Nanning's implementation of 食品经营许可
    item_version: int
    fee_fen: int
    required_materials: list[str]


def _publish_version(gw: httpx.Client, token: str, code: str, change: Callable[[dict[str, Any]], None]) -> int:
    """Draft the next version of ``code`` with ``change`` applied, submit and publish it; its number."""
    current = gw.get(f"/api/catalog/v1/items/{code}")
    assert current.status_code == 200, current.text
    definition = copy.deepcopy(current.json()["definition"])
    change(definition)
    drafted = gw.post(f"/api/catalog/v1/items/{code}/versions", json={"definition": definition}, headers=bearer(token))
    assert drafted.status_code == 201, drafted.text
    version = int(drafted.json()["version"])
    submitted = gw.post(f"/api/catalog/v1/items/{code}/versions/{version}/submit", headers=bearer(token))
    assert submitted.status_code == 200, submitted.text
    published = gw.post(f"/api/catalog/v1/items/{code}/versions/{version}/publish", headers=bearer(token))
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["current"] is True
    return version


def _add_fee(definition: dict[str, Any]) -> None:
    if not any(f["name"] == FEE["name"] for f in definition["fees"]):
        definition["fees"].append(dict(FEE))


def prepare(platform: Platform) -> Setup:
    """Staff sign in; the platform admin adds a fee to 食品经营许可 in the province and in Nanning (a fee may
    only be inherited, so both), and the application service learns the new version. Once per platform:
    a second call finds the fee and publishes nothing."""
    staff = Staff(platform)
    with client(platform) as gw:
        params: dict[str, str | int] = {"q": SEARCH, "available_in": NANNING, "limit": 50}
        found = gw.get("/api/catalog/v1/items", params=params).json()["items"]
        nanning = next(i for i in found if i["region"] == NANNING and i["department"]["code"] == NN_MARKET)
        province = next(i for i in found if i["region"] == PROVINCE and i["name"] == nanning["name"])
        code = nanning["implementation_code"]
        item = gw.get(f"/api/catalog/v1/items/{code}").json()
        if not any(f["name"] == FEE["name"] for f in item["definition"]["fees"]):
            admin = staff.token("gx-platform-admin")
            _publish_version(gw, admin, province["implementation_code"], _add_fee)
            version = _publish_version(gw, admin, code, _add_fee)
            item = gw.get(f"/api/catalog/v1/items/{code}").json()
            assert item["version"] == version
        version = item["version"]
        assert [(f["name"], f["amount_fen"]) for f in item["definition"]["fees"]] == [(FEE["name"], FEE["amount_fen"])]
        required = [m["name"] for m in item["definition"]["materials"] if m["required"]]
        assert LICENSE_MATERIAL in required, required
        assert item["definition"]["result_license_type"] == RESULT_LICENSE
        # The application service takes the item version it knows when a draft starts: wait for this one,
        # with a draft of the demo citizen (never submitted).
        demo = sign_in(gw, "zhangsan", DEMO_PASSWORD)

        def probe() -> bool:
            draft = gw.post(
                "/api/application/v1/applications",
                json={"item_code": code, "applicant": {"name": "张三", "id_number": "450102199001011231"}},
                headers=idempotent(demo),
            )
            return draft.status_code == 201 and draft.json()["item"]["version"] == version

        eventually(probe, f"version {version} of {code} at the application service")
    return Setup(platform, staff, code, version, sum(f["amount_fen"] for f in item["definition"]["fees"]), required)


# ---------------------------------------------------------------- the citizen


@dataclass
class Citizen:
    username: str
    password: str
    name: str
    id_number: str
    phone: str
    browser: httpx.Client
    account_id: str = ""
    token: str = ""
    ids: dict[str, Any] = field(default_factory=dict)  # what the journey created, for checks afterwards
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


def new_id_number(rng: random.Random) -> str:
    """A valid, made-up Nanning ID number (GB 11643 check character)."""
    born = f"{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"450102{born}{rng.randint(0, 999):03d}"
    return first17 + id_check_character(first17)


def register(platform: Platform, rng: random.Random | None = None) -> Citizen:
    """Step 1: a new citizen registers (level 1 account)."""
    rng = rng or random.Random()
    suffix = uuid.uuid4().hex[:10]
    citizen = Citizen(
        username=f"e2e-{suffix}",
        password=f"Journey-{suffix}-gx",
        name="测试" + rng.choice("甲乙丙丁戊己庚辛"),
        id_number=new_id_number(rng),
        phone=f"139{rng.randint(0, 99_999_999):08d}",
        browser=client(platform),
    )
    created = citizen.browser.post(
        "/api/identity/v1/citizens",
        json={
            "username": citizen.username,
            "real_name": citizen.name,
            "id_number": citizen.id_number,
            "phone": citizen.phone,
            "password": citizen.password,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    # The same answer whether or not the ID number had an account (no enumeration): the id comes at sign-in.
    assert created.status_code == 202 and created.json()["status"] == "accepted", created.text
    return citizen


def sign_in_citizen(citizen: Citizen) -> None:
    """Step 2: the citizen signs in (code + PKCE S256) and sees their account."""
    citizen.token = sign_in(citizen.browser, citizen.username, citizen.password)
    me = citizen.browser.get("/api/identity/v1/me", headers=citizen.auth)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == citizen.username and me.json()["assurance_level"] == 1
    citizen.account_id = me.json()["id"]


def hold_business_license(setup: Setup, citizen: Citizen) -> str:
    """Before the journey: Nanning's market regulation issued the citizen's 营业执照 (individual business) in
    its own registration system, which imports it (存量证照归集) with its client credentials, for the
    citizen's ID number; once the citizen is verified in person, it shows in their wallet. The license id."""
    found = re.search(r"department system client: (\S+) / (\S+) ", setup.platform.demo_text("identity"))
    assert found, setup.platform.demo_text("identity")
    body = {
        "type_code": BUSINESS_LICENSE_TYPE,
        "holder": {"id_type": "citizen_id", "id_number": citizen.id_number, "name": citizen.name},
        "fields": {"entity_name": f"南宁市青秀区{citizen.name}小吃店", "entity_type": "个体工商户"},
        "source_reference": f"NN-GT-{uuid.uuid4().hex[:12].upper()}",
    }
    with client(setup.platform) as registry:
        token = client_credentials(registry, found[1], found[2], "certificates.licenses.import")
        headers = {**bearer(token), "Idempotency-Key": uuid.uuid4().hex}

        def imported() -> httpx.Response | None:
            # certificates learns which types the department issues from catalog's published items (Kafka)
            resp = registry.post("/api/certificates/v1/licenses/imports", json=body, headers=headers)
            return None if resp.status_code == 403 and "not-the-departments" in resp.text else resp

        issued = eventually(imported, "certificates to know the department's 营业执照 item")
    assert issued.status_code == 201, issued.text
    license_id = str(issued.json()["id"])
    gw = citizen.browser
    # An imported license opens to a verified account only (a declared ID number may be someone else's):
    # the citizen shows their ID card at a Nanning hall, then signs in again to carry the new level.
    verified = gw.post(
        f"/api/identity/v1/accounts/{citizen.account_id}/in-person-verification",
        headers=setup.staff.headers("acceptor"),
    )
    assert verified.status_code == 200 and verified.json()["assurance_level"] == 3, verified.text
    hidden = gw.get("/api/certificates/v1/wallet/licenses", params={"type": LICENSE_MATERIAL}, headers=citizen.auth)
    assert hidden.json()["items"] == [], "the level-1 token does not open it"
    citizen.token = sign_in(gw, citizen.username, citizen.password)
    wallet = gw.get("/api/certificates/v1/wallet/licenses", params={"type": LICENSE_MATERIAL}, headers=citizen.auth)
    assert wallet.status_code == 200, wallet.text
    assert [lic["id"] for lic in wallet.json()["items"]] == [license_id]
    citizen.ids["business_license"] = license_id
    return license_id


def find_item(setup: Setup, citizen: Citizen) -> dict[str, Any]:
    """Step 3: a Chinese full-text search finds Nanning's 食品经营许可; its page shows the fee."""
    gw = citizen.browser
    found = gw.get("/api/catalog/v1/items", params={"q": "食品经营", "available_in": NANNING})
    assert found.status_code == 200, found.text
    item = next((i for i in found.json()["items"] if i["implementation_code"] == setup.item_code), None)
    assert item is not None, found.json()
    assert item["name"] == SEARCH and item["version"] == setup.item_version
    page = gw.get(f"/api/catalog/v1/items/{setup.item_code}").json()
    assert sum(f.get("amount_fen") or 0 for f in page["definition"]["fees"]) == setup.fee_fen
    return item


def food_form(citizen: Citizen) -> dict[str, Any]:
    return {
        "enterprise_name": f"南宁市青秀区{citizen.name}小吃店",
        "credit_code": "92450103MA5N8K2X3Q",
        "legal_representative": citizen.name,
        "phone": citizen.phone,
        "business_address": "南宁市青秀区民族大道1号",
        "food_business_category": "餐饮服务",
    }


def upload(citizen: Citizen, app_id: str, name: str) -> dict[str, Any]:
    resp = citizen.browser.post(
        f"/api/application/v1/applications/{app_id}/materials",
        data={"name": name},
        files={"file": ("material.pdf", PDF, "application/pdf")},
        headers=citizen.auth,
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def apply(setup: Setup, citizen: Citizen, license_id: str) -> dict[str, Any]:
    """Step 4: a draft with the form; the pre-review offers the held 营业执照, which replaces that material;
    the other materials are uploaded; the submission gets a tracking number."""
    gw = citizen.browser
    created = gw.post(
        "/api/application/v1/applications",
        json={
            "item_code": setup.item_code,
            "applicant": {"name": citizen.name, "id_number": citizen.id_number},
            "form": food_form(citizen),
        },
        headers=idempotent(citizen.token),
    )
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["status"] == "draft" and draft["item"]["version"] == setup.item_version
    app_id = str(draft["id"])
    citizen.ids["application"] = app_id

    review = gw.get(f"/api/application/v1/applications/{app_id}/pre-review", headers=citizen.auth).json()
    assert review["ok"] is False and review["license_lookup"] == "ok", review
    offered = str(review)
    assert license_id in offered, f"the pre-review does not offer the held license: {review}"
    used = gw.post(
        f"/api/application/v1/applications/{app_id}/materials/license",
        json={"name": LICENSE_MATERIAL, "license_id": license_id},
        headers=citizen.auth,
    )
    assert used.status_code == 201, used.text
    assert used.json()["source"] == "license" and used.json()["verified"] is True
    for name in setup.required_materials:
        if name != LICENSE_MATERIAL:
            upload(citizen, app_id, name)
    review = gw.get(f"/api/application/v1/applications/{app_id}/pre-review", headers=citizen.auth).json()
    assert review["ok"] is True, review

    key = uuid.uuid4().hex
    submitted = gw.post(
        f"/api/application/v1/applications/{app_id}/submit",
        json={},
        headers={**citizen.auth, "Idempotency-Key": key},
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted" and body["tracking_number"], body
    citizen.ids["tracking_number"] = body["tracking_number"]
    return dict(body)


def application(citizen: Citizen) -> dict[str, Any] | None:
    url = f"/api/application/v1/applications/{citizen.ids['application']}"
    return polled(citizen.browser.get(url, headers=citizen.auth))


def application_in(citizen: Citizen, status: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        got = application(citizen)
        return got if got and got["status"] == status else None

    return eventually(probe, f"application {citizen.ids['application']} {status}")


# ---------------------------------------------------------------- staff steps


def _open_task(setup: Setup, role: str, tracking_number: str, kind: str) -> dict[str, Any] | None:
    with client(setup.platform) as gw:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"status": "open", "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = polled(gw.get("/api/workflow/v1/tasks", params=params, headers=setup.staff.headers(role)))
            if page is None:
                return None
            for task in page["items"]:
                if task["tracking_number"] == tracking_number and task["kind"] == kind:
                    return dict(task)
            cursor = page["next_cursor"]
            if not cursor:
                return None


def act(setup: Setup, role: str, tracking_number: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A staff member of ``role`` finds the case's open task of ``kind`` in the inbox, claims and completes
    it; the case as it now stands."""
    task = eventually(
        lambda: _open_task(setup, role, tracking_number, kind), f"an open {kind} task of {tracking_number}"
    )
    assert (task["department"], task["role"]) == (NN_MARKET, role), task
    headers = setup.staff.headers(role)
    with client(setup.platform) as gw:
        claimed = gw.post(f"/api/workflow/v1/tasks/{task['id']}/claim", headers=headers)
        assert claimed.status_code == 200, claimed.text
        done = gw.post(f"/api/workflow/v1/tasks/{task['id']}/complete", json=body, headers=headers)
        assert done.status_code == 200, done.text
        return dict(done.json())


def request_supplement(setup: Setup, citizen: Citizen) -> dict[str, Any]:
    """Step 5: the acceptor asks for one uploaded material again (补正); the application shows the request."""
    material = next(m for m in setup.required_materials if m != LICENSE_MATERIAL)
    missing = [{"material": material, "reason": "材料扫描件不清晰"}]
    citizen.ids["supplemented_material"] = material
    case = act(
        setup,
        "acceptor",
        citizen.ids["tracking_number"],
        "accept",
        {"action": "request_supplement", "opinion": "请补正材料", "missing": missing},
    )
    assert case["status"] == "supplementing" and case["clock_stopped"] is True, case
    assert case["application_id"] == citizen.ids["application"]
    citizen.ids["case"] = str(case["id"])
    seen = application_in(citizen, "supplement_requested")
    assert seen["case_id"] == citizen.ids["case"] and seen["supplement_request"]["missing"] == missing
    return case


def supplement(setup: Setup, citizen: Citizen) -> None:
    """Step 6: the citizen uploads the material again and resubmits."""
    missing = application_in(citizen, "supplement_requested")["supplement_request"]["missing"]
    for entry in missing:
        assert upload(citizen, citizen.ids["application"], entry["material"])["round"] == 1
    resp = citizen.browser.post(
        f"/api/application/v1/applications/{citizen.ids['application']}/supplement", json={}, headers=citizen.auth
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "supplemented"


def accept_review_approve(setup: Setup, citizen: Citizen) -> dict[str, Any]:
    """Step 7: Nanning's acceptor accepts, the reviewer reviews, the approver approves; the case waits for
    the fee."""
    tracking = citizen.ids["tracking_number"]
    accepted = act(setup, "acceptor", tracking, "accept", {"action": "accept", "opinion": "予以受理"})
    assert accepted["status"] == "reviewing" and str(accepted["id"]) == citizen.ids["case"], accepted
    application_in(citizen, "accepted")
    reviewed = act(setup, "reviewer", tracking, "review", {"action": "complete", "opinion": "审查通过"})
    assert reviewed["status"] == "deciding", reviewed
    decided = act(setup, "approver", tracking, "decide", {"action": "approve", "opinion": "准予许可"})
    assert decided["status"] == "paying" and decided["clock_stopped"] is True, decided
    return decided


def orders_of_case(citizen: Citizen) -> list[dict[str, Any]]:
    params = {"case_id": citizen.ids["case"]}
    page = polled(citizen.browser.get("/api/payment/v1/orders", params=params, headers=citizen.auth))
    return list(page["items"]) if page else []


def pay(setup: Setup, citizen: Citizen) -> dict[str, Any]:
    """Step 8: the fee order appears; the citizen pays on the sandbox channel's page (the payment provider's
    page, outside the platform); the order is paid."""
    order = eventually(lambda: next(iter(orders_of_case(citizen)), None), "the fee order of the case")
    assert order["amount_fen"] == setup.fee_fen and order["status"] == "created", order
    citizen.ids["order"] = order["id"]
    started = citizen.browser.post(
        f"/api/payment/v1/orders/{order['id']}/payments", json={"channel": "sandbox"}, headers=idempotent(citizen.token)
    )
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "pending"
    pay_url = started.json()["pay_url"]
    # The page is the gateway's (make run's sandbox lives behind it), opened without a token.
    assert pay_url.startswith(f"{citizen.browser.base_url}/api/payment/sandbox-channel/pay/"), pay_url
    with httpx.Client(timeout=60) as channel:
        page = channel.get(pay_url)
        assert page.status_code == 200 and "<form" in page.text, page.text[:300]
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, page.text[:300]
        done = channel.post(urljoin(pay_url, html.unescape(action[1])), data={"action": "pay"})
        assert done.status_code < 400, done.text[:300]

    def paid() -> dict[str, Any] | None:
        got = polled(citizen.browser.get(f"/api/payment/v1/orders/{order['id']}", headers=citizen.auth))
        return got if got and got["status"] == "paid" else None

    return eventually(paid, f"order {order['id']} paid")


def deliver(setup: Setup, citizen: Citizen) -> None:
    """Step 9: paid, the case is approved and delivered (electronically); the application completes."""
    application_in(citizen, "approved")
    done = act(
        setup, "acceptor", citizen.ids["tracking_number"], "deliver", {"action": "complete", "opinion": "已送达"}
    )
    assert done["status"] == "completed" and done["decision"] == "approved", done
    application_in(citizen, "completed")


# ---------------------------------------------------------------- the result


def receive_license(citizen: Citizen) -> dict[str, Any]:
    """Step 10: the food business licence issued on approval is in the citizen's wallet."""

    def issued() -> dict[str, Any] | None:
        params = {"type": RESULT_LICENSE}
        page = polled(citizen.browser.get("/api/certificates/v1/wallet/licenses", params=params, headers=citizen.auth))
        return next((lic for lic in page["items"] if lic["case_id"] == citizen.ids["case"]), None) if page else None

    lic = eventually(issued, f"the {RESULT_LICENSE} of case {citizen.ids['case']}")
    assert lic["status"] == "active" and lic["holder_name"] == citizen.name, lic
    assert lic["issuer"]["code"] == NN_MARKET, lic["issuer"]
    assert lic["fields"]["operator_name"] == food_form(citizen)["enterprise_name"], lic["fields"]
    citizen.ids["license"] = lic["id"]
    return dict(lic)


def verify_publicly(citizen: Citizen, lic: dict[str, Any]) -> None:
    """Step 11: anyone (no login) verifies the license by the identifier of its QR code."""
    with httpx.Client(base_url=str(citizen.browser.base_url), timeout=60) as anyone:
        resp = anyone.get(f"/api/certificates/v1/verify/{lic['identifier']}")
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"] == "authentic" and resp.json()["type_name"] == RESULT_LICENSE, resp.json()


def download_pdf(citizen: Citizen) -> bytes:
    """Step 12: the citizen downloads the sealed PDF."""
    resp = citizen.browser.get(f"/api/certificates/v1/licenses/{citizen.ids['license']}/pdf", headers=citizen.auth)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/pdf") and resp.content.startswith(b"%PDF")
    return resp.content


def rate(citizen: Citizen) -> dict[str, Any]:
    """Step 13: the citizen rates the completed case (好差评), once; a retry with the same key replays."""
    body = {"case_id": citizen.ids["case"], "level": 5, "reasons": [], "comment": "办事快", "channel": "web"}
    headers = idempotent(citizen.token)

    def rated() -> dict[str, Any] | None:
        resp = citizen.browser.post("/api/evaluation/v1/ratings", json=body, headers=headers)
        if resp.status_code in (201, 200):
            return dict(resp.json())
        assert resp.status_code in (404, 409, 422) or resp.status_code >= 500, resp.text  # not known there yet
        return None

    rating = eventually(rated, f"a rating of case {citizen.ids['case']} accepted")
    assert rating["case_id"] == citizen.ids["case"] and rating["level"] == 5 and rating["department"] == NN_MARKET
    citizen.ids["rating"] = rating["id"]
    return rating


def check_read_back(setup: Setup, citizen: Citizen) -> None:
    """After the journey, read back through the gateway: everything the platform accepted is there, once
    (one account, application, case, order, license per approval and rating; each staff action once)."""
    with client(setup.platform) as gw:
        auth = citizen.auth
        me = gw.get("/api/identity/v1/me", headers=auth)
        assert me.status_code == 200 and me.json()["id"] == citizen.account_id

        mine = gw.get("/api/application/v1/applications", headers=auth).json()["items"]
        assert [a["id"] for a in mine] == [citizen.ids["application"]]
        app = gw.get(f"/api/application/v1/applications/{citizen.ids['application']}", headers=auth).json()
        assert app["status"] == "completed" and app["case_id"] == citizen.ids["case"]
        materials = {(m["name"], m["round"], m["source"]) for m in app["materials"]}
        assert (LICENSE_MATERIAL, 0, "license") in materials, materials
        assert (citizen.ids["supplemented_material"], 1, "upload") in materials, "the 补正 upload is kept"
        history = gw.get(f"/api/application/v1/applications/{citizen.ids['application']}/history", headers=auth)
        assert [h["status"] for h in history.json()["items"]] == [
            "draft",
            "submitted",
            "supplement_requested",
            "supplemented",
            "accepted",
            "approved",
            "completed",
        ]

        cases = gw.get("/api/workflow/v1/cases", headers=auth).json()["items"]
        assert [(c["id"], c["application_id"]) for c in cases] == [(citizen.ids["case"], citizen.ids["application"])]
        staff = setup.staff.headers("acceptor")
        trace = gw.get(f"/api/workflow/v1/cases/{citizen.ids['case']}/trace", headers=staff).json()["entries"]
        actions = [e["action"] for e in trace]
        for action in ("request_supplement", "supplemented", "accept", "approve", "paid"):
            assert actions.count(action) == 1, (action, actions)
        verified = gw.get(f"/api/workflow/v1/cases/{citizen.ids['case']}/trace/verification", headers=staff)
        assert verified.json()["valid"] is True

        orders = gw.get("/api/payment/v1/orders", params={"case_id": citizen.ids["case"]}, headers=auth).json()
        assert [(o["id"], o["status"]) for o in orders["items"]] == [(citizen.ids["order"], "paid")], "one order"

        # Both types at once, as the application service asks when several e-licenses could serve.
        both = httpx.QueryParams([("type", LICENSE_MATERIAL), ("type", RESULT_LICENSE)])
        wallet = gw.get("/api/certificates/v1/wallet/licenses", params=both, headers=auth).json()["items"]
        results = [lic for lic in wallet if lic["type_name"] == RESULT_LICENSE]
        assert [lic["id"] for lic in results] == [citizen.ids["license"]], "one license per approval"
        assert [lic["id"] for lic in wallet if lic["type_name"] == LICENSE_MATERIAL] == [
            citizen.ids["business_license"]
        ]

        ratings = gw.get("/api/evaluation/v1/ratings", headers=auth).json()["items"]
        assert [r["id"] for r in ratings] == [citizen.ids["rating"]], "one rating"


def run_journey(setup: Setup, rng: random.Random | None = None) -> Citizen:
    """The whole journey for one new citizen; the citizen, with ``ids`` of everything created and
    ``timings`` (seconds per step)."""
    citizen = register(setup.platform, rng)
    held: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("sign_in", lambda: sign_in_citizen(citizen)),
        ("hold_business_license", lambda: held.setdefault("license", hold_business_license(setup, citizen))),
        ("find_item", lambda: find_item(setup, citizen)),
        ("apply", lambda: apply(setup, citizen, held["license"])),
        ("request_supplement", lambda: request_supplement(setup, citizen)),
        ("supplement", lambda: supplement(setup, citizen)),
        ("accept_review_approve", lambda: accept_review_approve(setup, citizen)),
        ("pay", lambda: pay(setup, citizen)),
        ("deliver", lambda: deliver(setup, citizen)),
        ("receive_license", lambda: held.setdefault("result", receive_license(citizen))),
        ("verify_publicly", lambda: verify_publicly(citizen, held["result"])),
        ("download_pdf", lambda: download_pdf(citizen)),
        ("rate", lambda: rate(citizen)),
    ]
    try:
        for name, step in steps:
            started = time.monotonic()
            try:
                step()
            except Exception as exc:
                exc.add_note(f"in step {name}")
                raise
            citizen.timings[name] = time.monotonic() - started
    finally:
        citizen.browser.close()
    return citizen
