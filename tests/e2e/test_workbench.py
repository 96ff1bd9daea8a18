"""The staff workbench in a real browser (Debian's headless Chromium through Playwright) against the real
processes on PostgreSQL and Kafka. A citizen applies for 食品经营许可 through the API; Nanning's acceptor signs
in with password and TOTP, finds the case by its tracking number, opens its materials and requests a
supplement; after the citizen's supplement (API) the acceptor accepts, the reviewer reviews, the approver
approves, the acceptor delivers, and the licence is issued; every action is in the trace with who did it.
A staff member of another department gets 404 on the case page, its material, and through the API. axe-core
finds no serious or critical WCAG 2.1 AA violation on any workbench page visited; screenshots go to
docs/screenshots."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import citizen_journey as journey
import httpx
import pytest
from browser import PHONE, assert_accessible, chromium, new_context, screenshot
from harness import Platform
from identity_flows import DEMO_PASSWORD, _totp_code, totp_secrets
from playwright.sync_api import Browser, BrowserContext, Page, expect
from steps_cases import FOOD_FORM, find_item
from steps_cases import apply as apply_as
from steps_people import citizen as signed_in_citizen
from steps_people import staff as signed_in_staff

from gov_standards.china_time import CHINA_TZ

OTHER_DEPARTMENT_STAFF = "nn-chengguan"  # an acceptor of 南宁市城市管理综合行政执法局 (identity's demo data)


@pytest.fixture(scope="module")
def workbench(platform: Platform) -> str:
    platform.start("workbench")
    return platform.workbench


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def setup(platform: Platform, workbench: str) -> Iterator[journey.Setup]:
    """Nanning's 食品经营许可 as the demo data has it (no fee: approval leads straight to the licence)."""
    staff = journey.Staff(platform)
    with journey.client(platform) as gw:
        params: dict[str, str | int] = {"q": journey.SEARCH, "available_in": journey.NANNING, "limit": 50}
        found = gw.get("/api/catalog/v1/items", params=params).json()["items"]
        item = next(i for i in found if i["region"] == journey.NANNING and i["department"]["code"] == journey.NN_MARKET)
        full = gw.get(f"/api/catalog/v1/items/{item['implementation_code']}").json()
    required = [m["name"] for m in full["definition"]["materials"] if m["required"]]
    try:
        yield journey.Setup(platform, staff, item["implementation_code"], int(full["version"]), 0, required)
    finally:
        staff.close()


@pytest.fixture(scope="module")
def citizen(setup: journey.Setup) -> Iterator[journey.Citizen]:
    """A citizen who applied (API), holding the 营业执照 the application reuses; the case is open."""
    person = journey.register(setup.platform)
    journey.sign_in_citizen(person)
    license_id = journey.hold_business_license(setup, person)
    journey.eventually(lambda: _draft_possible(setup), "the application service to know the item")
    journey.apply(setup, person, license_id)
    try:
        yield person
    finally:
        person.browser.close()


def _draft_possible(setup: journey.Setup) -> bool:
    """The application service knows the item's version (it learns it from catalog's events): a draft of the
    demo citizen starts on it (never submitted)."""
    with journey.client(setup.platform) as gw:
        demo = journey.sign_in(gw, "zhangsan", DEMO_PASSWORD)
        draft = gw.post(
            "/api/application/v1/applications",
            json={"item_code": setup.item_code, "applicant": {"name": "张三", "id_number": "450102199001011231"}},
            headers=journey.idempotent(demo),
        )
    return draft.status_code == 201 and draft.json()["item"]["version"] == setup.item_version


class Clerk:
    """One staff member's browser tab on the workbench: every page it opens is checked with axe-core and
    may ask nothing from outside the platform."""

    def __init__(self, browser: Browser, platform: Platform, username: str) -> None:
        self.context: BrowserContext = new_context(browser)
        self.page: Page = self.context.new_page()
        self.workbench = platform.workbench
        self.username = username
        self.secret = totp_secrets(platform.demo_text("identity"))[username]
        self.foreign: list[str] = []
        allowed = (platform.workbench, platform.gateway)
        self.page.on("request", lambda r: None if r.url.startswith(allowed) else self.foreign.append(r.url))

    def sign_in(self) -> None:
        """Password, then the TOTP code, on identity's pages (through the gateway)."""
        page = self.page
        page.goto(self.workbench + "/")
        page.locator("#username").fill(self.username)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("button[type=submit]").click()
        page.locator("#code").fill(_totp_code(self.secret))
        page.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(re.escape(self.workbench) + r"/(\?.*)?$"))
        self.checked()

    def open(self, path: str) -> Page:
        self.page.goto(self.workbench + path)
        return self.checked()

    def checked(self) -> Page:
        self.page.wait_for_load_state()
        assert_accessible(self.page)
        assert not self.foreign, f"the page asked for something outside the platform: {self.foreign}"
        return self.page

    def shot(self, name: str, *, phone: bool = False) -> None:
        screenshot(self.page, f"workbench-{name}")
        if phone:
            size = self.page.viewport_size
            self.page.set_viewport_size(PHONE)
            screenshot(self.page, f"workbench-{name}-360")
            assert size is not None
            self.page.set_viewport_size(size)

    def find_and_claim(self, tracking_number: str, *, shot: str = "", timeout: float = journey.TIMEOUT) -> None:
        """Filter the inbox by the tracking number until the case's task is there (events cross Kafka), claim
        it and open the case."""
        deadline = time.monotonic() + timeout
        while True:
            page = self.open(f"/?tracking_number={tracking_number}")
            claim = page.get_by_role("button", name=re.compile(f"认领 {tracking_number}"))
            if claim.count():
                break
            assert time.monotonic() < deadline, f"{tracking_number} never reached {self.username}'s inbox"
            page.wait_for_timeout(1000)
        if shot:
            self.shot(shot, phone=True)
        claim.click()
        self.checked()
        expect(page.locator(".notice").first).to_contain_text("已认领")
        page.get_by_role("link", name=tracking_number, exact=True).click()
        self.checked()
        expect(page.locator("#tracking-number")).to_have_text(tracking_number)

    def complete(self, action: str, opinion: str) -> None:
        page = self.page
        page.get_by_label(action).check()
        page.locator("#a-opinion").fill(opinion)
        page.get_by_role("button", name="提交办理结果").click()
        self.checked()
        expect(page.locator(".notice").first).to_contain_text(f"已办理：{action}")

    def close(self) -> None:
        self.context.close()


def _case_id(setup: journey.Setup, tracking_number: str) -> str:
    task = journey.eventually(
        lambda: journey._open_task(setup, "acceptor", tracking_number, "accept"), f"the case {tracking_number}"
    )
    return str(task["case_id"])


def test_staff_of_another_department_see_nothing_of_the_case(
    platform: Platform, setup: journey.Setup, citizen: journey.Citizen, browser: Browser
) -> None:
    tracking = citizen.ids["tracking_number"]
    case_id = _case_id(setup, tracking)
    app = journey.application(citizen)
    assert app is not None
    material = next(m for m in app["materials"] if m["source"] == "upload")

    # Through the API: the case, its trace, its task and its material read as not there.
    token = setup.staff.token(OTHER_DEPARTMENT_STAFF)
    with journey.client(platform) as gw:
        headers = journey.bearer(token)
        for path in (
            f"/api/workflow/v1/cases/{case_id}",
            f"/api/workflow/v1/cases/{case_id}/trace",
            f"/api/application/v1/applications/{citizen.ids['application']}",
            f"/api/application/v1/applications/{citizen.ids['application']}/materials/{material['id']}/content",
        ):
            resp = gw.get(path, headers=headers)
            assert resp.status_code in (403, 404), (path, resp.status_code)
        inbox = gw.get("/api/workflow/v1/tasks", params={"tracking_number": tracking}, headers=headers)
        assert inbox.status_code == 200 and inbox.json()["items"] == []
        counts = gw.get("/api/workflow/v1/tasks/counts", params={"tracking_number": tracking}, headers=headers)
        assert counts.json()["open"] == 0

    # In the browser: the inbox does not show it; the case page and the material are pages that do not exist.
    outsider = Clerk(browser, platform, OTHER_DEPARTMENT_STAFF)
    try:
        outsider.sign_in()
        page = outsider.open(f"/?tracking_number={tracking}")
        expect(page.locator("#empty")).to_be_visible()
        for path in (
            f"/cases/{case_id}",
            f"/cases/{case_id}/materials/{material['id']}",
            f"/cases/{case_id}/materials/{material['id']}/preview",
        ):
            resp = page.request.get(platform.workbench + path)
            assert resp.status == 404, (path, resp.status)
        page = outsider.open(f"/cases/{case_id}")
        expect(page.locator("h1")).to_have_text("页面不存在")
        assert tracking not in page.content()
    finally:
        outsider.close()


def test_staff_handle_a_case_from_inbox_to_licence(
    platform: Platform, setup: journey.Setup, citizen: journey.Citizen, browser: Browser
) -> None:
    tracking = citizen.ids["tracking_number"]
    acceptor = Clerk(browser, platform, "nn-acceptor")
    try:
        acceptor.sign_in()
        page = acceptor.page
        cookie = next(c for c in acceptor.context.cookies() if c["name"] == "gov_workbench_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert not any("token" in c["name"].lower() for c in acceptor.context.cookies())
        acceptor.find_and_claim(tracking, shot="inbox")
        citizen.ids["case"] = page.url.rsplit("/", 1)[-1]

        # The case: the form, the time left in working days, the materials (downloaded through the workbench).
        expect(page.locator("#form-data")).to_contain_text(journey.food_form(citizen)["enterprise_name"])
        expect(page.locator("#time-left")).to_contain_text(re.compile(r"剩余 \d+ 个工作日"))
        link = page.locator("#materials a").first
        download = page.request.get(platform.workbench + (link.get_attribute("href") or ""))
        assert download.status == 200 and download.body().startswith(b"%PDF")
        assert download.headers["content-disposition"].startswith("attachment")
        assert "authorization" not in str(page.content()).lower()
        # Previewed in the page: the PDF in an <object> served inline by the workbench's own route, framed
        # by the workbench only; the page's policy lets it embed its own files and nothing else.
        shown = page.locator("#previews object").first
        expect(shown).to_be_visible()
        src = shown.get_attribute("data") or ""
        assert re.fullmatch(r"/cases/[0-9a-f-]{36}/materials/[0-9a-f-]{36}/preview", src), src
        inline = page.request.get(platform.workbench + src)
        assert inline.status == 200 and inline.body().startswith(b"%PDF")
        assert inline.headers["content-type"] == "application/pdf"
        assert inline.headers["content-disposition"].startswith("inline")
        assert (
            inline.headers["x-frame-options"] == "SAMEORIGIN" and inline.headers["x-content-type-options"] == "nosniff"
        )
        assert "frame-ancestors 'self'" in inline.headers["content-security-policy"]
        policy = page.request.get(page.url).headers["content-security-policy"]
        assert "object-src 'self'" in policy and "frame-ancestors 'none'" in policy
        acceptor.shot("case", phone=True)

        # A supplement request without materials or reason is refused next to its fields; nothing changes.
        page.get_by_label("要求补正").check()
        page.get_by_role("button", name="提交办理结果").click()
        acceptor.checked()
        expect(page.locator(".error-summary")).to_contain_text("请选择需要补正的材料")
        expect(page.locator("#a-opinion-error")).to_have_text("请填写办理意见")
        acceptor.shot("case-errors")
        material = next(m for m in setup.required_materials if m != journey.LICENSE_MATERIAL)
        citizen.ids["supplemented_material"] = material
        page.get_by_label("要求补正").check()
        page.get_by_role("checkbox", name=material).check()
        page.locator("#a-reason").fill("材料扫描件不清晰")
        page.locator("#a-opinion").fill("请补正材料")
        page.get_by_role("button", name="提交办理结果").click()
        acceptor.checked()
        expect(page.locator("#case-status")).to_have_text("待补正")
        expect(page.locator("#trace")).to_contain_text("要求补正")
        expect(page.locator("#trace")).to_contain_text("（我）")

        # The citizen supplements through the API; the case comes back to the acceptor.
        journey.supplement(setup, citizen)
        acceptor.find_and_claim(tracking)
        acceptor.complete("予以受理", "材料齐全，予以受理")
        expect(page.locator("#case-status")).to_have_text("审查中")
        page = acceptor.open("/")
        expect(page.locator("#count-open")).to_be_visible()
    finally:
        acceptor.close()

    for username, action, opinion in (
        ("nn-reviewer", "审查通过", "审查通过，符合条件"),
        ("nn-approver", "准予许可", "准予许可"),
    ):
        clerk = Clerk(browser, platform, username)
        try:
            clerk.sign_in()
            clerk.find_and_claim(tracking)
            clerk.complete(action, opinion)
        finally:
            clerk.close()

    # Approved: the licence is issued to the citizen; the acceptor delivers and the case is completed.
    lic = journey.receive_license(citizen)
    assert lic["issuer"]["code"] == journey.NN_MARKET
    deliverer = Clerk(browser, platform, "nn-acceptor")
    try:
        deliverer.sign_in()
        deliverer.find_and_claim(tracking)
        deliverer.complete("已送达", "电子证照已送达")
        page = deliverer.page
        expect(page.locator("#case-status")).to_have_text("已办结")
        expect(page.locator("#decision")).to_have_text("准予")
        expect(page.locator("#licences")).to_contain_text(lic["identifier"])  # the licence the case produced
        trace = page.locator("#trace li").all_inner_texts()
        staff_ids = _staff_ids(setup)
        for label, who in (
            ("要求补正", "nn-acceptor"),
            ("受理", "nn-acceptor"),
            ("审查完成", "nn-reviewer"),
            ("准予许可", "nn-approver"),
        ):
            entry = next((t for t in trace if t.startswith(label)), None)
            # Named (identity's staff directory; the demo staff are named by their usernames), not an id.
            assert entry is not None and who in entry and staff_ids[who] not in entry, (label, trace)
        deliverer.shot("case-completed")
    finally:
        deliverer.close()
    assert journey.application_in(citizen, "completed")["case_id"]


def _staff_ids(setup: journey.Setup) -> dict[str, str]:
    """The account ids of the Nanning staff (what the trace names as the actor)."""
    out: dict[str, str] = {}
    with httpx.Client(base_url=setup.platform.gateway, timeout=60) as gw:
        for username in ("nn-acceptor", "nn-reviewer", "nn-approver"):
            me: dict[str, Any] = gw.get(
                "/api/identity/v1/me", headers=journey.bearer(setup.staff.token(username))
            ).json()
            out[username] = str(me["id"])
    return out


def test_a_supervisor_sees_the_red_case_on_the_board_after_the_clock_moves(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    """Last in this module: it moves workflow's clock (a restart with WORKFLOW_CLOCK_OFFSET_SECONDS, as a
    drill would) past a new case's deadline."""
    zhangsan = signed_in_citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, journey.SEARCH)
    number = apply_as(zhangsan, item["implementation_code"], "张三", FOOD_FORM, id_number="450102199001011231")[
        "tracking_number"
    ]
    supervisor = signed_in_staff(platform, "nn-supervisor")

    def listed(level: str) -> dict[str, Any] | None:
        page = supervisor.get("/api/workflow/v1/supervision/cases", params={"level": level, "limit": 100})
        assert page.status_code == 200, page.text
        return next((c for c in page.json()["items"] if c["tracking_number"] == number), None)

    case = journey.eventually(lambda: listed("green"), f"case {number} under supervision")
    overdue = date.fromisoformat(case["deadline"]) + timedelta(days=1)
    moment = datetime.combine(overdue, clock_time(12), CHINA_TZ) - datetime.now(UTC)
    platform.restart("workflow", WORKFLOW_CLOCK_OFFSET_SECONDS=str(int(moment.total_seconds())))
    swept = supervisor.post("/api/workflow/v1/supervision/evaluations", json={})
    assert swept.status_code == 200 and swept.json()["overdue"] >= 1, swept.text
    assert listed("red") is not None

    # The board: the case among the red ones, opening its page; an acceptor may not open the board.
    clerk = Clerk(browser, platform, "nn-supervisor")
    try:
        clerk.sign_in()
        page = clerk.page
        page.get_by_role("link", name="电子监察").click()
        clerk.checked()
        expect(page.locator("#board-red-cases")).to_contain_text(number)
        assert int(page.locator("#board-red").inner_text()) >= 1
        clerk.shot("supervision", phone=True)
        page.locator("#board-red-cases").get_by_role("link", name=number).click()
        clerk.checked()
        expect(page.locator("#tracking-number")).to_have_text(number)
        expect(page.locator("#no-task")).to_be_visible()  # a supervisor watches; the department acts
    finally:
        clerk.close()
    acceptor = Clerk(browser, platform, "nn-acceptor")
    try:
        acceptor.sign_in()
        assert acceptor.page.request.get(platform.workbench + "/supervision").status == 403
        assert acceptor.page.get_by_role("link", name="电子监察").count() == 0
    finally:
        acceptor.close()
