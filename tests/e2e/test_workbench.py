"""The staff workbench in a real browser (Debian's headless Chromium through Playwright) against the real
processes on PostgreSQL and Kafka. A citizen applies for 食品经营许可 through the API; Nanning's acceptor signs
in with password and TOTP, finds the case by its tracking number, opens its materials and requests a
supplement; after the citizen's supplement (API) the acceptor accepts, the reviewer reviews, the approver
approves, the acceptor delivers, and the licence is issued; every action is in the trace with who did it.
A staff member of another department gets 404 on the case page, its material, and through the API. axe-core
finds no serious or critical WCAG 2.1 AA violation on any workbench page visited; screenshots go to
docs/screenshots."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from urllib.parse import urlsplit

import citizen_journey as journey
import gmssl_pyx
import httpx
import pytest
import test_hall
from browser import PHONE, assert_accessible, chromium, navigate_by, new_context, screenshot
from harness import Platform
from identity_flows import DEMO_PASSWORD, _totp_code, totp_secrets
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from steps_cases import FOOD_FORM, find_item
from steps_cases import apply as apply_as
from steps_people import citizen as signed_in_citizen
from steps_people import staff as signed_in_staff

from gov_standards.china_time import CHINA_TZ

COUNTERSIGN_QUESTION = "门前是否涉及占道经营，请出具意见"
ORDER_REASON = "超期未办结，请两个工作日内说明原因并加快办理"
NOTE = "申请人来电称营业执照正在变更，已告知补正后可继续办理"
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
        # The platform, and the browser's own built-in PDF viewer showing a previewed material (its pages
        # come from the browser itself, not from any network).
        allowed = (
            platform.workbench,
            platform.gateway,
            "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/",
            "chrome://resources/",
        )
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

    def follow(self, target: Locator) -> Page:
        """Click a link or a form's button and check the page it leads to."""
        navigate_by(self.page, target)
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
        self.follow(claim)
        expect(page.locator(".notice").first).to_contain_text("已认领")
        self.follow(page.get_by_role("link", name=tracking_number, exact=True))
        expect(page.locator("#tracking-number")).to_have_text(tracking_number)

    def complete(self, action: str, opinion: str) -> None:
        page = self.page
        page.get_by_label(action).check()
        page.locator("#a-opinion").fill(opinion)
        self.follow(page.get_by_role("button", name="提交办理结果"))
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
            f"/api/workflow/v1/cases/{case_id}/notes",
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
        # Previewed in the page when asked for (a case page view transfers no file): the PDF in an <object>
        # served inline by the workbench's own route, framed by the workbench only; the page's policy lets
        # it embed its own files and nothing else. Another material is a link away; a forged choice shows none.
        case_path = urlsplit(page.url).path
        expect(page.locator("#previews object")).to_have_count(0)
        acceptor.follow(page.locator("#preview-links a").first)
        shown = page.locator("#previews object")
        expect(shown).to_have_count(1)
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
        acceptor.follow(page.locator("#preview-links a").first)
        expect(page.locator("#previews object")).to_have_count(1)
        assert page.locator("#previews object").get_attribute("data") != src, "the other material"
        page = acceptor.open(case_path + "?preview=../../admin")
        expect(page.locator("#previews object")).to_have_count(0)
        page = acceptor.open(case_path)

        # A supplement request without materials or reason is refused next to its fields; nothing changes.
        page.get_by_label("要求补正").check()
        acceptor.follow(page.get_by_role("button", name="提交办理结果"))
        expect(page.locator(".error-summary")).to_contain_text("请选择需要补正的材料")
        expect(page.locator("#a-opinion-error")).to_have_text("请填写办理意见")
        acceptor.shot("case-errors")
        material = next(m for m in setup.required_materials if m != journey.LICENSE_MATERIAL)
        citizen.ids["supplemented_material"] = material
        page.get_by_label("要求补正").check()
        page.get_by_role("checkbox", name=material).check()
        page.locator("#a-reason").fill("材料扫描件不清晰")
        page.locator("#a-opinion").fill("请补正材料")
        acceptor.follow(page.get_by_role("button", name="提交办理结果"))
        expect(page.locator("#case-status")).to_have_text("待补正")
        expect(page.locator("#trace")).to_contain_text("要求补正")
        expect(page.locator("#trace")).to_contain_text("（我）")

        # A note for the colleagues handling the case (an empty one is refused next to its field).
        acceptor.follow(page.get_by_role("button", name="发布留言"))
        expect(page.locator("#note-body-error")).to_have_text("请填写留言内容")
        page.locator("#note-body").fill(NOTE)
        acceptor.follow(page.get_by_role("button", name="发布留言"))
        expect(page.locator("#note-list")).to_contain_text(NOTE)
        expect(page.locator("#note-list")).to_contain_text("nn-acceptor（我）")

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
            if username == "nn-reviewer":  # the acceptor's note, by name
                expect(clerk.page.locator("#note-list li").first).to_contain_text("nn-acceptor")
                expect(clerk.page.locator("#note-list")).to_contain_text(NOTE)
                _countersigned(browser, platform, clerk, tracking)
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


def _countersigned(browser: Browser, platform: Platform, reviewer: Clerk, tracking: str) -> None:
    """The reviewer asks 南宁市城市管理综合行政执法局 to countersign (a missing question is named at its
    field); its staff member answers on their 会签请求 page (seeing the case's number, not the applicant);
    the reviewer reads the answer on the case and the trace names both."""
    page = reviewer.page
    page.get_by_label("会签部门").select_option(label="南宁市城市管理综合行政执法局")
    reviewer.follow(page.get_by_role("button", name="发起会签"))
    expect(page.locator("#cs-question-error")).to_have_text("请填写会签事项")
    page.get_by_label("会签部门").select_option(label="南宁市城市管理综合行政执法局")
    page.locator("#cs-question").fill(COUNTERSIGN_QUESTION)
    reviewer.follow(page.get_by_role("button", name="发起会签"))
    expect(page.locator("#countersign-list")).to_contain_text("待答复")
    other = Clerk(browser, platform, OTHER_DEPARTMENT_STAFF)
    try:
        other.sign_in()
        asked = other.open("/countersigns")
        request = asked.locator("#countersigns-open li", has_text=tracking)
        expect(request).to_contain_text(COUNTERSIGN_QUESTION)
        other.follow(request.get_by_role("button", name="提交会签意见"))
        expect(asked.locator(".error-summary, .error-message").first).to_be_visible()
        request = asked.locator("#countersigns-open li", has_text=tracking)
        request.get_by_label("同意", exact=True).check()
        request.get_by_label(re.compile("会签意见")).fill("不涉及占道经营，同意")
        other.follow(request.get_by_role("button", name="提交会签意见"))
        expect(asked.locator("#countersigns-answered")).to_contain_text(tracking)
        other.shot("countersigns")
    finally:
        other.close()
    reviewer.open(page.url.removeprefix(platform.workbench).split("#")[0])
    expect(page.locator("#countersign-list")).to_contain_text("不涉及占道经营，同意")
    expect(page.locator("#countersign-list")).to_contain_text(OTHER_DEPARTMENT_STAFF)
    expect(page.locator("#trace")).to_contain_text("会签答复")


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


def _bookable_slot(person: Any, hall_id: str, first: date) -> dict[str, Any]:
    """The first free slot of application's hall ``hall_id`` from ``first`` on (working days only)."""
    for offset in range(15):
        day = first + timedelta(days=offset)
        slots = person.get(f"/api/application/v1/halls/{hall_id}/slots", params={"day": day.isoformat()})
        assert slots.status_code == 200, slots.text
        soon = datetime.now(UTC) + timedelta(seconds=30)
        free = [s for s in slots.json()["items"] if s["available"] and datetime.fromisoformat(s["start"]) > soon]
        if free:
            return dict(free[0])
    raise AssertionError(f"no free slot at hall {hall_id}")


def _seal_of_pdf(pdf: bytes) -> dict[str, Any]:
    """The seal the notice's PDF carries in its Keywords (svc-certificates' notices): signed bytes, signature,
    key id."""
    found = re.search(rb"gov-seal:([A-Za-z0-9_-]+)", pdf)
    assert found, "the notice's PDF carries no seal"
    raw = found.group(1).decode()
    return dict(json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))))


def test_a_window_clerk_checks_in_registers_and_prints_the_sealed_notice(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    """The hall window portal: an appointment checked in (a ticket of the hall that serves it), the person
    verified by name and ID number, an application registered for them with a scanned material, accepted on
    the spot, and the acceptance notice printed: its SM2 seal verifies against the department's published key
    and on the public verification endpoint. Attacks: an unknown or another region's appointment, another
    department's clerk, a reviewer, a forged notice id."""
    admin, root = signed_in_staff(platform, "nn-staff-admin"), signed_in_staff(platform, "gx-platform-admin")
    zhangsan = signed_in_citizen(platform, "zhangsan")
    today = datetime.now(UTC).astimezone(CHINA_TZ).date()
    all_day = {
        "periods": [["00:00", "23:59"]],
        "slot_minutes": 5,
        "windows": [{"name": "预约窗口", "capacity_per_slot": 5}],
    }
    app_hall = admin.post(
        "/api/application/v1/halls",
        json={"name": "南宁市民中心（窗口 e2e）", "region": "450100", "address": "民族大道", **all_day},
    )
    assert app_hall.status_code == 201, app_hall.text
    linked = admin.post(
        "/api/hall/v1/halls",
        json={
            "name": "南宁市民中心（窗口 e2e）",
            "region": "450100",
            "address": "民族大道",
            "appointment_hall_id": app_hall.json()["id"],
            "queues": [{"code": "A", "name": "综合受理"}],
            "windows": [{"name": "1号窗口", "queues": ["A"]}],
        },
    )
    assert linked.status_code == 201, linked.text
    slot = test_hall.open_today(root, zhangsan, app_hall.json()["id"], today)
    booked = zhangsan.post(
        "/api/application/v1/appointments",
        key=uuid.uuid4().hex,
        json={"hall_id": app_hall.json()["id"], "slot_start": slot["start"]},
    )
    assert booked.status_code == 201, booked.text
    reference = booked.json()["reference"]
    # Another region's hall and a booking there (Liuzhou): not the Nanning clerk's to see.
    liuzhou_hall = root.post(
        "/api/application/v1/halls",
        json={"name": "柳州市民中心（e2e）", "region": "450200", "address": "柳州", **all_day},
    )
    assert liuzhou_hall.status_code == 201, liuzhou_hall.text
    far = _bookable_slot(zhangsan, liuzhou_hall.json()["id"], today)
    elsewhere = zhangsan.post(
        "/api/application/v1/appointments",
        key=uuid.uuid4().hex,
        json={"hall_id": liuzhou_hall.json()["id"], "slot_start": far["start"]},
    )
    assert elsewhere.status_code == 201, elsewhere.text

    clerk = Clerk(browser, platform, "nn-acceptor")
    try:
        clerk.sign_in()
        page = clerk.page
        clerk.follow(page.get_by_role("link", name="窗口服务"))
        # A malformed reference is refused next to its field; an unknown one and another region's are not found.
        page.locator("#reference").fill("../../x")
        clerk.follow(page.get_by_role("button", name="查询预约"))
        expect(page.locator("#reference-error")).to_contain_text("请输入预约号")
        for unseen in ("YY22222222", elsewhere.json()["reference"]):
            assert page.request.get(f"{platform.workbench}/hall/appointments?reference={unseen}").status == 404
        # The appointment: checked in once the hall service has heard of it (application's event over Kafka).
        deadline = time.monotonic() + journey.TIMEOUT
        while True:
            page = clerk.open(f"/hall/appointments?reference={reference}")
            expect(page.locator("#appointment-status")).to_have_text("已预约")
            clerk.follow(page.get_by_role("button", name="签到取号"))
            if page.locator("#ticket-number").count():
                break
            expect(page.locator("#check-in-error")).to_contain_text("尚未收到")
            assert time.monotonic() < deadline, "the appointment never reached the hall service"
            page.wait_for_timeout(1000)
        expect(page.locator("#ticket-number")).to_have_text("A001")
        clerk.shot("hall-check-in")

        # The person at the window: a wrong name fails the real-name check; the right one names their account.
        page = clerk.open("/hall")
        page.locator("#p-name").fill("李四")
        page.locator("#p-id-number").fill(test_hall.ZHANGSAN_ID)
        clerk.follow(page.get_by_role("button", name="核验身份"))
        expect(page.locator("#p-name-error")).to_contain_text("核验未通过")
        page.locator("#p-name").fill("张三")
        page.locator("#p-id-number").fill(test_hall.ZHANGSAN_ID)
        clerk.follow(page.get_by_role("button", name="核验身份"))
        expect(page.locator("#verified-person")).to_contain_text("有（实名等级")
        assert test_hall.ZHANGSAN_ID not in page.content()  # shown masked
        clerk.shot("hall")

        # Register: the item of my department, its form, a scanned material each, submit.
        clerk.follow(page.locator("#start-register"))
        clerk.follow(page.locator(f"form:has(input[value='{setup.item_code}']) button"))
        for name, value in FOOD_FORM.items():
            if name == "food_business_category":
                page.get_by_label(str(value)).check()
            else:
                page.locator(f"#f-{name}").fill(str(value))
        clerk.follow(page.get_by_role("button", name="保存并上传材料"))
        for i in range(page.locator("section[id^='m-']").count()):
            section = page.locator(f"#m-{i}")
            if section.locator(".tag--red").count():  # required: its paper copy scanned
                page.locator(f"#m-{i}-file").set_input_files(
                    files=[{"name": f"scan-{i}.pdf", "mimeType": "application/pdf", "buffer": journey.PDF}]
                )
                clerk.follow(page.locator(f"#m-{i} button[type=submit]"))
        expect(page.locator("#submit")).to_contain_text("预审通过")
        clerk.shot("hall-materials")
        clerk.follow(page.get_by_role("button", name="提交申请"))
        tracking = page.locator("#hall-tracking-number").inner_text()
        assert re.fullmatch(r"450100\d{14}", tracking), tracking
        app_id = page.url.rsplit("/", 1)[-1]
        app = zhangsan.get(f"/api/application/v1/applications/{app_id}")  # registered for the person's account
        assert app.status_code == 200 and app.json()["channel"] == "hall", app.text

        # Accepted on the spot (the clerk is the department's acceptor), then the acceptance notice is printed.
        clerk.find_and_claim(tracking)
        clerk.complete("予以受理", "材料齐全，当场受理")
        hall_page = f"/hall/applications/{app_id}"

        def notice_link() -> str | None:
            shown = clerk.open(hall_page)
            link = shown.get_by_role("link", name=re.compile("打印受理通知书"))
            return link.get_attribute("href") if link.count() else None

        href = journey.eventually(notice_link, "the sealed acceptance notice")
        clerk.shot("hall-application")
        pdf = page.request.get(platform.workbench + href)
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF"), pdf.status
        assert pdf.headers["content-disposition"].startswith("attachment")
        seal = _seal_of_pdf(pdf.body())
        document = base64.urlsafe_b64decode(seal["document"] + "=" * (-len(seal["document"]) % 4))
        notice = json.loads(document)
        assert notice["kind"] == "acceptance" and notice["case"]["tracking_number"] == tracking
        with journey.client(platform) as gw:
            issuer = gw.get(f"/api/certificates/v1/issuers/{journey.NN_MARKET}").json()
            [key] = [k for k in issuer["sm2_keys"] if k["kid"] == seal["kid"]]
            public_key = bytes.fromhex(key["public_key"][2:])
            assert gmssl_pyx.sm2_verify(
                public_key, document, bytes.fromhex(seal["signature"]), signer_id=b"1234567812345678"
            )
            assert not gmssl_pyx.sm2_verify(
                public_key,
                document.replace(tracking.encode(), b"45010099999999999999"),
                bytes.fromhex(seal["signature"]),
                signer_id=b"1234567812345678",
            )
            verdict = gw.get(f"/api/certificates/v1/verify/{notice['number']}")
            assert verdict.json()["result"] == "authentic" and verdict.json()["type_name"] == "受理通知书", verdict.text
        # A notice id that is not this case's is a page that does not exist.
        assert page.request.get(f"{platform.workbench}/hall/applications/{app_id}/notices/{uuid.uuid4()}").status == 404
    finally:
        clerk.close()

    # Another department's clerk and a reviewer: the application and its notice do not exist for them.
    outsider = Clerk(browser, platform, OTHER_DEPARTMENT_STAFF)
    try:
        outsider.sign_in()
        for path in (hall_page, href, f"/hall/applications/{app_id}/form"):
            assert outsider.page.request.get(platform.workbench + path).status == 404, path
    finally:
        outsider.close()
    reviewer = Clerk(browser, platform, "nn-reviewer")
    try:
        reviewer.sign_in()
        assert reviewer.page.request.get(platform.workbench + "/hall").status == 403
        assert reviewer.page.get_by_role("link", name="窗口服务").count() == 0
    finally:
        reviewer.close()


# --- Catalog editor and publisher (事项目录), handling guides (审查要点), staff admin (人员管理) ---------------

SOLE_TRADER = "个体工商户设立登记"  # a provincial item Nanning's market regulation does not implement yet
PLACE_MATERIAL = "经营场所使用相关文件"  # optional in the provincial item
GUIDE = "核对经营场所使用证明与登记住所一致\n核对经营者身份证件与申请人一致"


def _provincial_item(platform: Platform, name: str) -> dict[str, Any]:
    with journey.client(platform) as gw:
        found = gw.get("/api/catalog/v1/items", params={"q": name, "region": "450000", "limit": 50}).json()["items"]
        item = next(i for i in found if i["name"] == name and i["region"] == "450000")
        return dict(gw.get(f"/api/catalog/v1/items/{item['implementation_code']}").json())


def _editor_field(page: Page, key: str) -> Any:
    return page.locator("#e-" + re.sub(r"[^0-9A-Za-z_]", "-", key))


def test_a_catalog_editors_refused_city_entry_shows_every_violation_then_it_is_published(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    """Nanning's catalog editor drafts Nanning's implementation of a provincial item, making it harder in four
    ways: refused, each broken "may only ease" rule next to its field, nothing created. Eased instead, it is
    saved, submitted and published by Nanning's publisher; a second version shows its differences from the
    published one and is returned; the item is withdrawn at the end (the demo catalog stays as it was)."""
    parent = _provincial_item(platform, SOLE_TRADER)
    materials = [m["name"] for m in parent["definition"]["materials"]]
    place = materials.index(PLACE_MATERIAL)
    editor = Clerk(browser, platform, "nn-catalog-editor")
    publisher = Clerk(browser, platform, "nn-catalog-publisher")
    try:
        editor.sign_in()
        page = editor.page
        editor.follow(page.get_by_role("link", name="事项目录"))
        editor.shot("catalog", phone=True)
        page = editor.open(f"/catalog/items/{parent['implementation_code']}")
        editor.follow(page.get_by_role("link", name="起草本地实施清单"))
        expect(_editor_field(page, "time_limit.promised_days")).to_have_value(
            str(parent["definition"]["time_limit"]["promised_days"])
        )

        # Harder than the province's: a longer promise, more visits, an optional material required, a delivery
        # option dropped. Refused, every rule next to its field, the values entered kept.
        _editor_field(page, "time_limit.promised_days").fill("3")
        _editor_field(page, "onsite_visits").fill("2")
        _editor_field(page, "onsite_reason").fill("核验经营场所")
        _editor_field(page, f"materials.{place}.required").check()
        page.get_by_label("电子送达").uncheck()
        editor.follow(page.get_by_role("button", name="创建实施清单草稿"))
        for key, rule in (
            ("time_limit.promised_days", "只能缩短"),
            ("onsite_visits", "只能减少"),
            (f"materials.{place}.required", "上级事项不要求的材料不能设为必交"),
            ("delivery", "送达方式须保留"),
        ):
            expect(page.locator(f"#e-{re.sub(r'[^0-9A-Za-z_]', '-', key)}-error")).to_contain_text(rule)
        expect(page.locator(".error-summary li")).to_have_count(4)
        expect(_editor_field(page, "time_limit.promised_days")).to_have_value("3")
        editor.shot("catalog-refused", phone=True)
        with journey.client(platform) as gw:
            queue = gw.get(
                "/api/catalog/v1/items/-/queue",
                params={"status": "draft"},
                headers=journey.bearer(setup.staff.token("nn-catalog-editor")),
            ).json()["items"]
        assert not [v for v in queue if v["definition"]["name"] == SOLE_TRADER], "a refusal creates nothing"

        # Eased instead: decided on the spot, fully online, the material optional again.
        _editor_field(page, "time_limit.promised_days").fill("0")
        _editor_field(page, "onsite_visits").fill("0")
        _editor_field(page, "onsite_reason").fill("")
        _editor_field(page, f"materials.{place}.required").uncheck()
        page.get_by_label("电子送达").check()
        editor.follow(page.get_by_role("button", name="创建实施清单草稿"))
        expect(page.locator(".notice").first).to_contain_text("实施清单草稿已创建")
        expect(page.locator("#version-status")).to_have_text("草稿")
        code = page.url.split("/catalog/items/", 1)[1].split("/", 1)[0]
        assert code.startswith(parent["definition"]["basic_code"] + "450100")
        editor.follow(page.get_by_role("button", name="提交审核"))
        expect(page.locator("#version-status")).to_have_text("待发布")

        # Nanning's publisher finds it among the versions waiting and publishes it.
        publisher.sign_in()
        page = publisher.open("/catalog")
        publisher.follow(page.locator("#submitted").get_by_role("link", name=SOLE_TRADER))
        publisher.follow(page.get_by_role("button", name="发布", exact=True))
        expect(page.locator("#version-status")).to_have_text("已发布")
        with journey.client(platform) as gw:
            public = gw.get(f"/api/catalog/v1/items/{code}").json()
        assert (
            public["definition"]["time_limit"]["promised_days"] == 0
            and public["inherits"] == (parent["implementation_code"])
        )

        # A second version: its differences from the published one; the publisher returns it.
        page = editor.open(f"/catalog/items/{code}")
        editor.follow(page.get_by_role("button", name="起草新版本"))
        _editor_field(page, "keywords").fill("个体户、开店、开业")
        editor.follow(page.get_by_role("button", name="保存草稿"))
        expect(page.locator("#diff")).to_contain_text("关键词")
        expect(page.locator("#diff")).to_contain_text("开业")
        editor.follow(page.get_by_role("button", name="提交审核"))
        page = publisher.open(f"/catalog/items/{code}/versions/2")
        expect(page.locator("#diff")).to_contain_text("关键词")
        publisher.shot("catalog-diff", phone=True)
        publisher.follow(page.get_by_role("button", name="退回修改"))
        expect(page.locator("#version-status")).to_have_text("草稿")

        # Withdrawn: no longer offered.
        page = publisher.open(f"/catalog/items/{code}")
        publisher.follow(page.get_by_role("button", name="撤回事项"))
        expect(page.locator("#current-version")).to_contain_text("无")
        with journey.client(platform) as gw:
            assert gw.get(f"/api/catalog/v1/items/{code}").status_code == 404
    finally:
        editor.close()
        publisher.close()


def test_catalog_pages_follow_roles_region_and_department(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    """A Nanning editor cannot open the province's draft nor draft a version of the province's item; forged
    and malformed codes are pages that do not exist; an acceptor has no catalog or staff pages."""
    parent = _provincial_item(platform, SOLE_TRADER)
    code = parent["implementation_code"]
    with journey.client(platform) as gw:
        draft = gw.post(
            f"/api/catalog/v1/items/{code}/versions",
            json={"definition": parent["definition"]},
            headers=journey.bearer(setup.staff.token("gx-catalog-editor")),
        )
        assert draft.status_code == 201, draft.text
        version = draft.json()["version"]
    editor = Clerk(browser, platform, "nn-catalog-editor")
    acceptor = Clerk(browser, platform, "nn-acceptor")
    try:
        editor.sign_in()
        for path in (
            f"/catalog/items/{code}/versions/{version}",
            f"/catalog/items/{code}/versions/{version}/edit",
            f"/catalog/items/{code}/versions/1/edit",  # published: never edited
            "/catalog/items/45010000000000000000000000000000000000000000000000",
            "/catalog/items/..%2F..%2Fadmin",
            "/catalog/items/" + code + "/versions/99999999999",
        ):
            assert editor.page.request.get(platform.workbench + path).status == 404, path
        page = editor.open(f"/catalog/items/{code}")
        expect(page.locator("#versions")).not_to_contain_text(f"第 {version} 版")  # the province's draft
        editor.follow(page.get_by_role("button", name="起草新版本"))
        expect(page.locator(".notice").first).to_contain_text("不在您的区划范围内")

        acceptor.sign_in()
        for path in ("/catalog", f"/catalog/items/{code}", "/staff", "/staff/new"):
            assert acceptor.page.request.get(platform.workbench + path).status == 403, path
        for link in ("事项目录", "人员管理"):
            assert acceptor.page.get_by_role("link", name=link).count() == 0
        expect(acceptor.page.get_by_role("link", name="审查要点")).to_be_visible()
    finally:
        editor.close()
        acceptor.close()


def test_handling_guides_are_written_by_the_editor_and_found_by_the_handlers(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    with journey.client(platform) as gw:
        found = gw.get("/api/catalog/v1/items", params={"q": "社会保障卡", "region": "450100"}).json()["items"]
    item = next(i for i in found if i["region"] == "450100")
    code = item["implementation_code"]
    editor = Clerk(browser, platform, "nn-catalog-editor")
    reviewer = Clerk(browser, platform, "nn-reviewer")
    try:
        editor.sign_in()
        # 社会保障卡申领 is 南宁市人力资源和社会保障局's: the market-regulation editor may not write its guide.
        page = editor.open(f"/guides/{code}")
        page.locator("#guide-text-input").fill("核对照片")
        editor.follow(page.get_by_role("button", name="保存审查要点"))
        expect(page.locator("#guide-text-error")).to_contain_text("该事项属于其他部门")

        with journey.client(platform) as gw:
            found = gw.get("/api/catalog/v1/items", params={"q": "内资有限公司设立登记", "region": "450100"}).json()[
                "items"
            ]
        mine = next(i for i in found if i["region"] == "450100" and i["department"]["code"] == journey.NN_MARKET)
        page = editor.open(f"/guides/{mine['implementation_code']}")
        expect(page.locator("#no-guide")).to_be_visible()
        editor.follow(page.get_by_role("button", name="保存审查要点"))  # empty: refused next to the field
        expect(page.locator("#guide-text-error")).to_contain_text("请填写审查要点")
        page.locator("#guide-text-input").fill(GUIDE)
        editor.follow(page.get_by_role("button", name="保存审查要点"))
        expect(page.locator(".notice").first).to_contain_text("审查要点已保存")
        expect(page.locator("#guide-text")).to_contain_text("核对经营者身份证件")
        editor.shot("guide")

        # A handler of the department finds it by a word of its text; reads it, cannot change it.
        reviewer.sign_in()
        page = reviewer.page
        reviewer.follow(page.get_by_role("link", name="审查要点"))
        page.locator("#q").fill("登记住所")
        reviewer.follow(page.get_by_role("button", name="查找"))
        reviewer.follow(page.locator("#guides").get_by_role("link", name="内资有限公司设立登记"))
        expect(page.locator("#guide-text")).to_contain_text("核对经营场所使用证明与登记住所一致")
        assert page.locator("#guide-text-input").count() == 0
        reviewer.shot("guides-search", phone=True)
        assert reviewer.page.request.get(platform.workbench + "/guides/NOSUCHCODE000").status == 404
        with journey.client(platform) as gw:
            path = f"/api/catalog/v1/items/{mine['implementation_code']}/review-guide"
            refused = gw.put(path, json={"text": "改"}, headers=journey.bearer(setup.staff.token("nn-reviewer")))
            assert refused.status_code == 403
            zhangsan = journey.sign_in(gw, "zhangsan", DEMO_PASSWORD)
            assert gw.get(path, headers=journey.bearer(zhangsan)).status_code == 403
            assert gw.get(path).status_code == 401
    finally:
        editor.close()
        reviewer.close()


def _me(setup: journey.Setup, username: str) -> dict[str, Any]:
    with journey.client(setup.platform) as gw:
        return dict(gw.get("/api/identity/v1/me", headers=journey.bearer(setup.staff.token(username))).json())


def _sign_in_as(browser: Browser, platform: Platform, username: str, password: str, secret: str) -> BrowserContext:
    context = new_context(browser)
    page = context.new_page()
    page.goto(platform.workbench + "/")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("button[type=submit]").click()
    page.locator("#code").fill(_totp_code(secret))
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(platform.workbench) + r"/(\?.*)?$"))
    return context


def test_a_staff_admin_manages_the_accounts_of_their_region_within_identitys_rules(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    admin = Clerk(browser, platform, "nn-staff-admin")
    province = _me(setup, "gx-catalog-editor")
    own = _me(setup, "nn-staff-admin")
    username = f"nn-e2e-{int(time.time()) % 100000}"
    try:
        admin.sign_in()
        page = admin.page
        admin.follow(page.get_by_role("link", name="人员管理"))
        expect(page.locator("#staff")).to_contain_text("nn-acceptor")
        assert "gx-catalog-editor" not in page.locator("#staff").inner_text(), "another region's staff"
        admin.shot("staff", phone=True)
        admin.follow(page.get_by_role("link", name="新建工作人员"))

        # Identity's refusals, each next to its field: a taken user name, then a privileged role.
        page.locator("#s-username").fill("nn-acceptor")
        page.locator("#s-real_name").fill("测试窗口人员")
        page.locator("#s-department_id").select_option(label="南宁市市场监督管理局（450100）")
        page.get_by_label("受理人员").check()
        admin.follow(page.get_by_role("button", name="创建账号"))
        expect(page.locator("#s-username-error")).to_contain_text("该用户名已被使用")
        page.locator("#s-username").fill(username)
        page.get_by_label("人员管理员（仅平台管理员）").check()
        admin.follow(page.get_by_role("button", name="创建账号"))
        expect(page.locator("#s-roles-error")).to_contain_text("只有平台管理员可以授予或收回这些角色：人员管理员")
        admin.shot("staff-refused")
        page.get_by_label("人员管理员（仅平台管理员）").uncheck()
        with page.expect_response(lambda r: r.url.endswith("/staff/new") and r.request.method == "POST") as info:
            page.get_by_role("button", name="创建账号").click()
        response = info.value
        admin.checked()
        assert response.status == 200 and response.headers["cache-control"] == "no-store"
        password = page.locator("#initial-password").inner_text().strip()
        secret = page.locator("#totp-secret").inner_text().strip()
        assert password and len(secret) >= 16
        expect(page.locator("#totp-qr svg")).to_be_visible()  # made by the workbench, nothing fetched

        # The new account signs in to the workbench with what was handed over.
        newcomer = _sign_in_as(browser, platform, username, password, secret)
        try:
            expect(newcomer.pages[0].locator(".staff-name")).to_contain_text("受理人员")
        finally:
            newcomer.close()

        # Roles and a new TOTP secret; the old one no longer signs in.
        page = admin.open("/staff")
        admin.follow(page.get_by_role("link", name=username))
        page.get_by_label("审查人员").check()
        admin.follow(page.get_by_role("button", name="保存角色"))
        expect(page.locator("#account-roles")).to_contain_text("审查人员")
        admin.follow(page.get_by_role("button", name="重置动态口令"))
        renewed = page.locator("#totp-secret").inner_text().strip()
        assert renewed and renewed != secret

        # Their own account, another region's, a forged id: refused or not there.
        page = admin.open(f"/staff/{own['id']}")
        admin.follow(page.get_by_role("button", name="重置动态口令"))
        expect(page.locator("#s-totp-error")).to_contain_text("不能在人员管理中修改自己的账号")
        for path in (f"/staff/{province['id']}", "/staff/6f1c2f8e-1111-4222-8333-944455556666", "/staff/not-an-id"):
            assert admin.page.request.get(platform.workbench + path).status == 404, path
    finally:
        admin.close()


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
        clerk.follow(page.get_by_role("link", name="电子监察"))
        expect(page.locator("#board-red-cases")).to_contain_text(number)
        assert int(page.locator("#board-red").inner_text()) >= 1
        clerk.shot("supervision", phone=True)
        # The figures per department as SVG charts with the same figures as a table; the department drills
        # down to its items.
        for chart in ("#chart-department-rate", "#chart-department-days"):
            expect(page.locator(chart)).to_have_attribute("role", "img")
        department_row = page.locator("#department-figures tbody tr").first
        expect(department_row).to_contain_text("南宁市市场监督管理局")
        clerk.follow(department_row.get_by_role("link").first)
        expect(page.locator("#chart-item-rate")).to_be_visible()
        expect(page.locator("#item-figures")).to_contain_text("食品")
        expect(page.locator("#board-red-cases")).to_contain_text(number)

        # A supervision order (督办) on the red case, from the board: a missing reason is named at its field.
        clerk.follow(page.locator("#board-red-cases").get_by_role("link", name=f"督办 {number}"))
        expect(page.locator("#order-target")).to_contain_text(number)
        page.locator("#o-reason").fill("")
        clerk.follow(page.get_by_role("button", name="下达督办"))
        expect(page.locator("#o-reason-error")).to_have_text("请填写督办事由")
        page.locator("#o-reason").fill(ORDER_REASON)
        page.locator("#o-working_days").fill("2")
        clerk.follow(page.get_by_role("button", name="下达督办"))
        expect(page.locator(".notice").first).to_contain_text("已下达督办")
        expect(page.locator("#open-orders")).to_contain_text(ORDER_REASON)
        clerk.shot("supervision-orders")
        clerk.follow(page.locator("#board-red-cases").get_by_role("link", name=number, exact=True))
        expect(page.locator("#tracking-number")).to_have_text(number)
        expect(page.locator("#no-task")).to_be_visible()  # a supervisor watches; the department acts
        assert page.locator("#notes").count() == 0  # the handlers' notes are not the watcher's
    finally:
        clerk.close()
    acceptor = Clerk(browser, platform, "nn-acceptor")
    try:
        acceptor.sign_in()
        assert acceptor.page.request.get(platform.workbench + "/supervision").status == 403
        assert acceptor.page.get_by_role("link", name="电子监察").count() == 0
        for path in ("/supervision/orders/new?case_id=" + case["id"], "/supervision?department=11450100MBQH0Y21QM"):
            assert acceptor.page.request.get(platform.workbench + path).status == 403, path
    finally:
        acceptor.close()


def _not_for(browser: Browser, platform: Platform, username: str, link: str, path: str) -> None:
    """``username`` sees no ``link`` in the navigation and gets 403 at ``path``."""
    someone = Clerk(browser, platform, username)
    try:
        someone.sign_in()
        assert someone.page.get_by_role("link", name=link).count() == 0
        assert someone.page.request.get(platform.workbench + path).status == 403
    finally:
        someone.close()


def test_a_supervisor_reads_what_people_searched_for_and_read_on_the_portal(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    """用户管理中心: the portal's anonymous counts reach the catalog (its report every 10 s under make run) and
    the workbench shows them to a supervisor; an ID number typed into the search box is never shown; an
    acceptor may not open the page, and a Nanning supervisor not another city's figures."""
    platform.start("portal")
    term = "食品经营许可"
    with httpx.Client(base_url=platform.portal, timeout=30, follow_redirects=True) as visitor:
        for typed in (term, term, term, "450102199001011231"):
            assert visitor.get("/search", params={"q": typed}).status_code == 200
        assert visitor.get(f"/items/{setup.item_code}").status_code == 200
    supervisor = signed_in_staff(platform, "nn-supervisor")

    def reported() -> dict[str, Any] | None:
        resp = supervisor.get("/api/catalog/v1/usage-statistics")
        assert resp.status_code == 200, resp.text
        figures = dict(resp.json())
        return figures if any(t["term"] == term for t in figures["search_terms"]) and figures["views"] else None

    figures = journey.eventually(reported, "the portal's usage report")
    assert not any(t["term"].isdigit() for t in figures["search_terms"]), "an ID number is never counted"
    assert supervisor.get("/api/catalog/v1/usage-statistics", params={"region": "450200"}).status_code == 403

    clerk = Clerk(browser, platform, "nn-supervisor")
    try:
        clerk.sign_in()
        page = clerk.page
        clerk.follow(page.get_by_role("link", name="使用统计"))
        expect(page.locator("#usage-terms")).to_contain_text(term)
        expect(page.locator("#usage-items")).to_contain_text(journey.SEARCH)
        expect(page.locator("#chart-usage-items")).to_have_attribute("role", "img")
        assert "450102199001011231" not in page.content()
        clerk.shot("usage")
        assert page.request.get(platform.workbench + "/usage?region=450200").status == 403
    finally:
        clerk.close()
    _not_for(browser, platform, "nn-acceptor", "使用统计", "/usage")


def test_a_supervisor_watches_the_halls_of_their_region(platform: Platform, workbench: str, browser: Browser) -> None:
    """大厅监察: the halls of the supervisor's region with today's figures from svc-hall, the same numbers as
    its API, one hall's windows and queues; an acceptor may not open it."""
    supervisor = signed_in_staff(platform, "nn-supervisor")
    halls = supervisor.get("/api/hall/v1/halls", params={"region": "450100"}).json()["items"]
    demo = next(h for h in halls if h["name"] == "南宁市民中心政务服务大厅")
    figures = supervisor.get(f"/api/hall/v1/halls/{demo['id']}/figures").json()
    clerk = Clerk(browser, platform, "nn-supervisor")
    try:
        clerk.sign_in()
        page = clerk.page
        clerk.follow(page.get_by_role("link", name="大厅监察"))
        row = page.locator("#hall-figures tbody tr", has_text=demo["name"])
        expect(row.locator("td[data-label=今日取号]")).to_have_text(str(figures["total"]["issued"]))
        expect(row.locator("td[data-label=正在等候]")).to_have_text(str(figures["waiting"]))
        expect(page.locator("#chart-hall-wait")).to_have_attribute("role", "img")
        clerk.follow(row.get_by_role("link", name=demo["name"]))
        expect(page.locator("#hall-queues")).to_be_visible()
        expect(page.locator("#hall-windows")).to_be_visible()
        clerk.shot("hall-figures")
        assert page.request.get(platform.workbench + f"/hall-figures?hall={uuid.uuid4()}").status == 404
    finally:
        clerk.close()
    _not_for(browser, platform, "nn-acceptor", "大厅监察", "/hall-figures")


def test_the_department_answers_a_bad_rating_within_its_due_day(
    platform: Platform, workbench: str, browser: Browser
) -> None:
    """好差评整改: the demo's bad rating of Nanning's market regulation opened a rectification; its acceptor
    finds it with its due day, reads the rating, is refused an empty reply at each field, replies; a reply
    sent again is refused (no longer open); another department's staff see nothing of it."""
    acceptor_api = signed_in_staff(platform, "nn-acceptor")
    rect = acceptor_api.get("/api/evaluation/v1/rectifications", params={"status": "open"}).json()["items"][0]
    clerk = Clerk(browser, platform, "nn-acceptor")
    try:
        clerk.sign_in()
        page = clerk.page
        clerk.follow(page.get_by_role("link", name="好差评整改"))
        expect(page.locator("#rectifications")).to_contain_text(rect["due"])
        clerk.follow(page.get_by_role("link", name=f"查看并答复 {rect['due']} 到期的整改").first)
        expect(page.locator("main")).to_contain_text("等了很久")  # the rater's comment (the demo's)
        clerk.follow(page.get_by_role("button", name="发送答复"))
        expect(page.locator("#r-verification-error")).to_contain_text("请填写核实情况")
        expect(page.locator(".error-summary a[href='#r-reply']")).to_have_count(1)
        assert acceptor_api.get(f"/api/evaluation/v1/rectifications/{rect['id']}").json()["status"] == "open"
        page.locator("#r-verification").fill("经核实，当日窗口人手不足，等候较久")
        page.locator("#r-measures").fill("高峰时段增开一个综合窗口")
        page.locator("#r-reply").fill("已增开窗口，欢迎再次评价")
        clerk.shot("rectification")
        clerk.follow(page.get_by_role("button", name="发送答复"))
        expect(page.locator("#rect-status")).to_have_text("已回复，待评价人确认")
        expect(page.locator("#rect-history")).to_contain_text("部门答复")
        assert page.locator("form[action$='/reply']").count() == 0, "a replied rectification offers no reply form"
        # The same reply sent again (a second tab, a retry): the API's 409, in words, and nothing changes.
        token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        again = page.request.post(
            platform.workbench + f"/rectifications/{rect['id']}/reply",
            form={"csrf_token": token, "verification": "再次", "measures": "再次", "reply": "再次"},
        )
        assert again.ok and "已不在待答复状态" in again.text()
    finally:
        clerk.close()
    stored = acceptor_api.get(f"/api/evaluation/v1/rectifications/{rect['id']}").json()
    assert stored["status"] == "replied" and stored["measures"] == "高峰时段增开一个综合窗口"
    other = Clerk(browser, platform, OTHER_DEPARTMENT_STAFF)
    try:
        other.sign_in()
        assert other.page.request.get(platform.workbench + f"/rectifications/{rect['id']}").status == 404
    finally:
        other.close()


def test_the_department_signs_for_and_answers_a_12345_work_order(
    platform: Platform, workbench: str, browser: Browser
) -> None:
    """12345工单: an operator records a noise complaint and the rules dispatch it to 南宁市城市管理综合行政执法局
    (API); its handler finds it under 12345工单 with its due day, reads it with the caller masked as the API
    gives it, signs for it, is refused an empty answer next to the field (the order unchanged), answers; the
    API shows it answered, and an answer sent again is refused in words. Another department's acceptor gets
    404 on the order's page and on a forged return."""
    import test_hotline as hotline

    operator, handler = signed_in_staff(platform, "nn-hotline"), signed_in_staff(platform, "nn-chengguan")
    call = {
        "kind": "complaint",
        "category": "noise",
        "region": "450102",
        "title": "夜间施工噪音扰民",
        "content": "兴宁区朝阳路工地每晚十一点后还在打桩，噪音很大，无法休息。",
        "address": "兴宁区朝阳路与民生路交叉口",
        "caller_phone": "13907715678",
        "caller_name": "黄丽",
    }
    created = operator.post("/api/hotline/v1/orders", key=str(uuid.uuid4()), json=call)
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    order = hotline.act(operator, oid, "dispatch")
    assert order["department"] == hotline.CITY_MANAGEMENT and order["due"], order
    answer = "经现场核查，该工地未办理夜间施工许可，已责令停止夜间施工并立案调查。"
    clerk = Clerk(browser, platform, "nn-chengguan")
    try:
        clerk.sign_in()
        page = clerk.page
        clerk.follow(page.get_by_role("link", name="12345工单"))
        row = page.locator("#hotline-orders tbody tr", has_text=order["number"])
        expect(row.locator("td[data-label=办理期限]")).to_contain_text(order["due"])
        expect(row.locator("td[data-label=分类]")).to_have_text("噪声扰民")
        expect(row.locator("td[data-label=类型]")).to_contain_text("投诉")
        clerk.follow(row.get_by_role("link", name=order["number"]))
        expect(page.locator("#order-caller")).to_have_text("黄* 139****5678")
        expect(page.locator("#order-due")).to_contain_text(order["due"])
        assert "13907715678" not in page.content() and "黄丽" not in page.content()
        clerk.follow(page.get_by_role("button", name="签收", exact=True))
        expect(page.locator(".notice").first).to_contain_text("已签收")
        expect(page.locator("#order-status")).to_have_text("办理中")
        clerk.follow(page.get_by_role("button", name="提交答复"))
        expect(page.locator("#h-answer-error")).to_contain_text("请填写答复内容")
        expect(page.locator(".error-summary a[href='#h-answer']")).to_have_count(1)
        unchanged = handler.get(f"/api/hotline/v1/orders/{oid}").json()
        assert (unchanged["status"], unchanged["answer"]) == ("signed", None)
        page.locator("#h-answer").fill(answer)
        clerk.shot("hotline-order")
        clerk.follow(page.get_by_role("button", name="提交答复"))
        expect(page.locator(".notice").first).to_contain_text("答复已提交")
        expect(page.locator("#order-status")).to_have_text("已答复，待回访")
        expect(page.locator("#order-answer")).to_contain_text(answer)
        expect(page.locator("#order-history")).to_contain_text("签收")
        assert page.locator("form[action$='/answer']").count() == 0, "an answered order offers no answer form"
        # The same answer sent again (a second tab, a retry): refused by the order's state, in words.
        token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        again = page.request.post(workbench + f"/hotline/{oid}/answer", form={"csrf_token": token, "answer": "再次"})
        assert again.ok and "不能答复" in again.text()
    finally:
        clerk.close()
    stored = handler.get(f"/api/hotline/v1/orders/{oid}").json()
    assert (stored["status"], stored["answer"]) == ("answered", answer)
    other = Clerk(browser, platform, "nn-acceptor")  # 南宁市市场监督管理局
    try:
        other.sign_in()
        assert other.page.request.get(workbench + f"/hotline/{oid}").status == 404
        token = other.page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        forged = other.page.request.post(
            workbench + f"/hotline/{oid}/return", form={"csrf_token": token, "reason": "不属于本部门"}
        )
        assert forged.status == 404
    finally:
        other.close()
    assert handler.get(f"/api/hotline/v1/orders/{oid}").json()["status"] == "answered"


def test_the_ordered_department_answers_a_supervision_order(
    platform: Platform, setup: journey.Setup, browser: Browser
) -> None:
    """督办件: a supervisor orders Nanning's market regulation to explain a case (API); its acceptor finds the
    order with its deadline, reaches it from the case page too, is refused an empty reply at the field (the
    order stays open), replies; a reply sent again is refused in words; another department's staff get 404."""
    zhangsan = signed_in_citizen(platform, "zhangsan")
    item = find_item(zhangsan.client, journey.SEARCH)
    number = apply_as(zhangsan, item["implementation_code"], "张三", FOOD_FORM, id_number="450102199001011231")[
        "tracking_number"
    ]
    case_id = _case_id(setup, number)
    supervisor, acceptor_api = signed_in_staff(platform, "nn-supervisor"), signed_in_staff(platform, "nn-acceptor")
    reason = f"群众反映 {number} 办理缓慢，请核实并回复"
    body = {"target": "case", "case_id": case_id, "reason": reason, "working_days": 2}
    issued = supervisor.post("/api/workflow/v1/supervision/orders", json=body, key=f"wb-order-{case_id}")
    assert issued.status_code == 201, issued.text
    order = issued.json()
    assert order["department"] == journey.NN_MARKET
    path = f"/orders/{order['id']}"
    clerk = Clerk(browser, platform, "nn-acceptor")
    try:
        clerk.sign_in()
        page = clerk.page
        clerk.follow(page.get_by_role("link", name="督办件", exact=True))
        row = page.locator("#open-orders tbody tr", has_text=reason)
        expect(row.locator("td[data-label=回复期限]")).to_contain_text(order["deadline"])
        expect(row.locator("td[data-label=升级]")).to_have_text("未升级")
        # The tracking number leads to the case page, whose notice leads to the order.
        clerk.follow(row.get_by_role("link", name=number, exact=True))
        expect(page.locator("#tracking-number")).to_have_text(number)
        expect(page.locator("#case-orders")).to_contain_text(order["deadline"])
        clerk.follow(page.locator("#case-orders").get_by_role("link", name="查看督办"))
        expect(page.locator("#order-reason")).to_have_text(reason)
        expect(page.locator("#order-target")).to_contain_text(number)
        clerk.follow(page.get_by_role("button", name="发送回复"))
        expect(page.locator("#o-reply-error")).to_contain_text("请填写回复内容")
        expect(page.locator(".error-summary a[href='#o-reply']")).to_have_count(1)
        assert acceptor_api.get(f"/api/workflow/v1/supervision/orders/{order['id']}").json()["status"] == "open"
        page.locator("#o-reply").fill("经核实，申请材料已齐全，今日受理并加快审查")
        clerk.shot("order")
        clerk.follow(page.get_by_role("button", name="发送回复"))
        expect(page.locator(".notice").first).to_contain_text("督办回复已发送")
        expect(page.locator("#order-status")).to_contain_text("已回复")
        expect(page.locator("#order-history")).to_contain_text("部门回复")
        assert page.locator("form[action$='/reply']").count() == 0, "a replied order offers no reply form"
        # The same reply sent again (a second tab, a retry): the API's 409 in words, nothing changes.
        token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        again = page.request.post(platform.workbench + path + "/reply", form={"csrf_token": token, "reply": "再次"})
        assert again.ok and "这件督办已有回复" in again.text()
        clerk.follow(page.locator(".breadcrumbs").get_by_role("link", name="督办件"))
        expect(page.locator("#replied-orders")).to_contain_text(reason)
        expect(page.locator("#open-orders", has_text=reason)).to_have_count(0)
    finally:
        clerk.close()
    stored = acceptor_api.get(f"/api/workflow/v1/supervision/orders/{order['id']}").json()
    assert stored["status"] == "replied" and stored["reply"] == "经核实，申请材料已齐全，今日受理并加快审查"
    other = Clerk(browser, platform, OTHER_DEPARTMENT_STAFF)
    try:
        other.sign_in()
        assert other.page.request.get(platform.workbench + path).status == 404
        assert other.page.request.get(platform.workbench + "/orders").status == 200
        assert reason not in other.page.request.get(platform.workbench + "/orders").text()
    finally:
        other.close()
