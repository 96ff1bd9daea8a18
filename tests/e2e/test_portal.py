"""The internet portal in a real browser (Debian's headless Chromium through Playwright) against the real
processes on PostgreSQL and Kafka: what anyone sees without signing in; a citizen who signs in, finds
食品经营许可, reads the guide, applies with the form (errors next to their fields first), uploads and reuses
an e-licence, submits; staff act through the API; the citizen answers the supplement request in the browser,
pays in the sandbox channel, sees the licence, opens its QR verification page and rates; the apply path
again without JavaScript; a session that expired returns the person where they were. axe-core finds no
serious or critical WCAG 2.1 AA violation on any page visited; screenshots go to docs/screenshots."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import citizen_journey as journey
import pyotp
import pytest
import steps_people as people
from browser import DESKTOP, PHONE, assert_accessible, chromium, navigate_by, new_context, screenshot
from harness import Platform
from identity_flows import DEMO_PASSWORD, WORKBENCH_CLIENT, _totp_code, totp_secrets
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from identity.oidc.pages import Pages

PDF_BYTES = journey.PDF
FOOD = "食品经营许可"


@pytest.fixture(scope="module")
def portal(platform: Platform) -> str:
    platform.start("portal")
    return platform.portal


@pytest.fixture(scope="module")
def setup(platform: Platform, portal: str) -> Iterator[journey.Setup]:
    prepared = journey.prepare(platform)
    try:
        yield prepared
    finally:
        prepared.staff.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    pdf, text = tmp_path / "材料.pdf", tmp_path / "notes.txt"
    pdf.write_bytes(PDF_BYTES)
    text.write_text("not a PDF")
    return {"pdf": pdf, "text": text}


class Visitor:
    """One browser tab that checks every page it opens with axe-core and asks nothing from outside. Without
    JavaScript axe-core cannot run in the tab (it is a script): the same pages were checked with it on."""

    def __init__(self, context: BrowserContext, portal: str, gateway: str, *, axe: bool = True) -> None:
        self.context = context
        self.axe = axe
        self.portal = portal
        self.page: Page = context.new_page()
        self.foreign: list[str] = []
        allowed = (portal, gateway)
        self.page.on("request", lambda r: None if r.url.startswith(allowed) else self.foreign.append(r.url))

    def open(self, path: str) -> Page:
        self.page.goto(self.portal + path)
        return self.checked()

    def follow(self, target: Locator) -> Page:
        """Click a link or a form's button and check the page it leads to."""
        navigate_by(self.page, target)
        return self.checked()

    def checked(self) -> Page:
        self.page.wait_for_load_state()
        if self.axe:
            assert_accessible(self.page)
        assert not self.foreign, f"the page asked for something outside the platform: {self.foreign}"
        return self.page

    def shot(self, name: str, *, phone: bool = True) -> None:
        screenshot(self.page, f"portal-{name}")
        if phone:
            size = self.page.viewport_size
            self.page.set_viewport_size(PHONE)
            screenshot(self.page, f"portal-{name}-360")
            assert size is not None
            self.page.set_viewport_size(size)


WEIGHT_LIMIT = 200 * 1024  # bytes transferred on a first visit to a page (issue 18)
PAGE_WEIGHT = """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0)"""


def first_visit_weight(browser: Browser, url: str) -> int:
    """What a first visit to ``url`` transfers (page and assets, nothing cached)."""
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        return int(page.evaluate(PAGE_WEIGHT))
    finally:
        context.close()


def sign_in(visitor: Visitor, citizen: journey.Citizen) -> None:
    """On identity's sign-in page (reached through the gateway), as a person types."""
    page = visitor.page
    page.locator("#username").fill(citizen.username)
    page.locator("#password").fill(citizen.password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(visitor.portal + "/")))
    visitor.checked()


def ready_citizen(setup: journey.Setup) -> tuple[journey.Citizen, str]:
    """A new, verified citizen holding a 营业执照 in their wallet (as the API journey prepares one)."""
    citizen = journey.register(setup.platform)
    journey.sign_in_citizen(citizen)
    return citizen, journey.hold_business_license(setup, citizen)


def fill_food_form(page: Page, citizen: journey.Citizen) -> None:
    form = journey.food_form(citizen)
    for name in ("enterprise_name", "credit_code", "business_address"):
        page.locator(f"#f-{name}").fill(form[name])
    page.locator("#f-phone").fill(form["phone"])
    page.get_by_label(form["food_business_category"]).check()


def upload(page: Page, index: int, file: Path, *, expect_text: str) -> None:
    section = page.locator(f"#m-{index}")
    section.locator("input[type=file]").set_input_files(str(file))
    section.get_by_role("button", name=re.compile(r"^(重新)?上传$")).click()
    expect(page.locator("main")).to_contain_text(expect_text)


def apply_in_browser(
    visitor: Visitor, setup: journey.Setup, citizen: journey.Citizen, files: dict[str, Path], *, shots: bool
) -> dict[str, str]:
    """Search, guide, apply: the application's id, tracking number and query code."""
    page = visitor.open("/")
    page.get_by_label("搜索事项").fill(FOOD)
    visitor.follow(page.get_by_role("button", name="搜索"))
    visitor.follow(page.get_by_role("link", name=FOOD).first)
    expect(page.locator("h1")).to_have_text(FOOD)
    if shots:
        visitor.shot("guide")
    page.get_by_role("link", name="在线办理").click()
    sign_in(visitor, citizen)
    assert "/apply" in page.url, page.url

    # Start: the ID number is not asked (the application takes the one identity verified); it is shown masked.
    assert page.locator("#id_number").count() == 0
    expect(page.locator("dl.summary")).to_contain_text(citizen.id_number[:3] + "*" * 13 + citizen.id_number[-2:])
    assert citizen.id_number not in page.content()
    visitor.follow(page.get_by_role("button", name="开始填写"))
    app_id = re.search(r"/applications/([0-9a-f-]{36})/form", page.url)
    assert app_id, page.url
    # Known data is prefilled from identity, not retyped.
    expect(page.locator("#f-legal_representative")).to_have_value(citizen.name)

    # Bad input: a message next to the field and in the summary, linked to it; the draft keeps nothing.
    page.locator("#f-phone").fill("12345")
    visitor.follow(page.get_by_role("button", name="保存并继续"))
    expect(page.locator(".error-summary")).to_contain_text("联系电话的格式不正确")
    expect(page.locator("#f-phone-error")).to_contain_text("联系电话的格式不正确")
    assert page.locator(".error-summary a").first.get_attribute("href") == "#f-phone"
    if shots:
        visitor.shot("form-errors")
    # Required fields are named when continuing with them empty.
    page.locator("#f-phone").fill(citizen.phone)
    visitor.follow(page.get_by_role("button", name="保存并继续"))
    expect(page.locator(".error-summary")).to_contain_text("请填写企业名称")

    # Save a draft, leave, resume it from the personal space.
    fill_food_form(page, citizen)
    visitor.follow(page.get_by_role("button", name="保存草稿"))
    expect(page.locator(".notice")).to_contain_text("草稿已保存")
    visitor.open("/me")
    visitor.follow(page.get_by_role("link", name=re.compile("继续填写")).first)
    expect(page.locator("#f-enterprise_name")).to_have_value(journey.food_form(citizen)["enterprise_name"])
    visitor.follow(page.get_by_role("button", name="保存并继续"))
    assert page.url.endswith("/materials"), page.url

    # Materials: a file of the wrong type is refused next to its field; the e-licence replaces the 营业执照.
    sections = page.locator("section.card").all()
    names = [s.locator("input[name=name]").last.get_attribute("value") or "" for s in sections]
    required = ["必须" in s.locator("h2").inner_text() for s in sections]
    license_index = names.index(journey.LICENSE_MATERIAL)
    upload(page, 0, files["text"], expect_text="文件类型不支持")
    visitor.checked()
    expect(page.locator(".error-summary")).to_contain_text("文件类型不支持")
    page.locator(f"#m-{license_index}").get_by_role("button", name="使用电子证照").click()
    expect(page.locator(".notice").first).to_contain_text("已使用电子证照代替")
    visitor.checked()
    for i, name in enumerate(names):
        if i != license_index and required[i]:
            upload(page, i, files["pdf"], expect_text=f"已上传：{name}")
            visitor.checked()
    if shots:
        visitor.shot("materials")

    visitor.follow(page.get_by_role("link", name="下一步：预审"))
    expect(page.locator(".notice").first).to_contain_text("预审通过")
    if shots:
        visitor.shot("review", phone=False)
    visitor.follow(page.get_by_role("button", name="确认提交"))
    tracking = page.locator("#tracking-number").inner_text().strip()
    query_code = page.locator("#query-code").inner_text().strip()
    assert re.fullmatch(r"\w{20}", tracking), tracking
    if shots:
        visitor.shot("submitted")
    citizen.ids.update(application=app_id[1], tracking_number=tracking)
    return {"id": app_id[1], "tracking_number": tracking, "query_code": query_code}


def my_applications(citizen: journey.Citizen) -> list[dict[str, Any]]:
    resp = citizen.browser.get("/api/application/v1/applications", headers=citizen.auth)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


# ---------------------------------------------------------------- tests


def test_public_pages_work_without_signing_in(platform: Platform, portal: str, browser: Browser) -> None:
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/")
        expect(page.locator("h1")).to_contain_text("一网通办")
        expect(page.locator(".skip-link")).to_have_attribute("href", "#main")
        visitor.shot("home")
        response = page.request.get(portal + "/")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp

        # Search as you type (with JavaScript): the box's own list offers matching items' names; the search
        # itself is a plain form without it.
        page.locator("#q").press_sequentially("食品经营", delay=50)
        expect(page.locator(f"#q-suggestions option[value='{FOOD}']")).to_have_count(1)
        suggested = page.request.get(portal + "/search/suggestions?region=450100&q=" + FOOD).json()["items"]
        assert suggested[0]["name"] == FOOD and "450100" in suggested[0]["code"][:40], suggested

        # Search in Nanning: Nanning's own 食品经营许可 before the province's item of the same name.
        page = visitor.open("/search?region=450100&q=" + FOOD)
        results = page.locator(".results h3 a")
        expect(results.first).to_have_text(FOOD)
        hrefs = [a.get_attribute("href") or "" for a in results.all() if a.inner_text() == FOOD]
        assert len(hrefs) >= 2 and "450100" in hrefs[0][:40] and "450000" in hrefs[1][:40], hrefs
        visitor.shot("search")
        # The department filter narrows the list to that department.
        department = page.locator("#department option", has_text="南宁市市场监督管理局").first.get_attribute("value")
        page.locator("#department").select_option(department)
        visitor.follow(page.get_by_role("button", name="筛选"))
        departments = page.locator(".results .meta").all_inner_texts()
        assert departments and all("南宁市市场监督管理局" in d for d in departments if "·" in d), departments

        # The guide: printable, the whole standard (time limits, materials, the e-licence, fees, contact).
        visitor.follow(page.get_by_role("link", name=FOOD).first)
        for text in ("法定办结时限", "承诺办结时限", "设定依据", "申请材料", "电子证照代替", "收费标准", "咨询电话"):
            expect(page.locator("main")).to_contain_text(text)
        page.emulate_media(media="print")
        expect(page.locator(".site-header")).to_be_hidden()
        page.emulate_media(media="screen")

        # Tracking and verification: bad input is named next to its field.
        page = visitor.open("/track?tracking_number=abc&query_code=1")
        expect(page.locator("#tracking_number-error")).to_be_visible()
        expect(page.locator(".error-summary a").first).to_have_attribute("href", "#tracking_number")
        visitor.shot("track-errors", phone=False)
        page = visitor.open("/verify/NO-SUCH-LICENCE-0001")
        expect(page.locator("main")).to_contain_text("核验未通过")

        # Rankings, open to everyone: departments by 好差评 satisfaction and the most used items of a region.
        page = visitor.open("/rankings?region=450100")
        expect(page.locator("#ranking-departments-title")).to_have_text("部门好差评排行")
        expect(page.locator("#ranking-items-title")).to_be_visible()
        assert visitor.open("/rankings?region=../x").locator("#region").input_value() == "450100"

        # A cheap phone on a slow network: each page weighs at most 200 KB on a first visit.
        for path in ("/", "/search?q=" + FOOD, f"/items/{hrefs[0].rsplit('/', 1)[-1]}"):
            weight = first_visit_weight(browser, portal + path)
            assert 0 < weight <= WEIGHT_LIMIT, (path, weight)
            print(f"first visit of {path}: {weight} bytes")
    finally:
        context.close()


def test_citizen_applies_follows_pays_receives_and_rates_in_the_browser(
    platform: Platform, portal: str, setup: journey.Setup, browser: Browser, files: dict[str, Path]
) -> None:
    citizen, _ = ready_citizen(setup)
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        app = apply_in_browser(visitor, setup, citizen, files, shots=True)
        assert [a["id"] for a in my_applications(citizen) if a["status"] == "submitted"] == [app["id"]]
        page = visitor.page

        # Anyone with the tracking number and query code follows it without signing in.
        page = visitor.open(f"/track?tracking_number={app['tracking_number']}&query_code={app['query_code']}")
        expect(page.locator("main")).to_contain_text("已提交")

        # Staff ask for a material again (through the API); the citizen answers in the browser.
        journey.request_supplement(setup, citizen)
        page = visitor.open("/me")  # 消息提醒: what waits for the person
        expect(page.locator(".reminders")).to_contain_text(f"“{FOOD}”需要补正材料")
        page = visitor.open(f"/me/applications/{app['id']}")
        expect(page.locator("#status")).to_have_text("待补正")
        visitor.shot("supplement-requested", phone=False)
        visitor.follow(page.get_by_role("link", name="上传补正材料"))
        upload(page, 0, files["pdf"], expect_text=f"已上传：{citizen.ids['supplemented_material']}")
        visitor.follow(page.get_by_role("button", name="提交补正"))
        expect(page.locator("#status")).to_have_text("已补正")

        # Accepted, reviewed, approved: the fee is paid on the sandbox channel's page.
        journey.accept_review_approve(setup, citizen)
        order = journey.eventually(lambda: next(iter(journey.orders_of_case(citizen)), None), "the fee order")
        page = visitor.open("/me")
        expect(page.locator(".reminders")).to_contain_text("15.00 元 的费用待缴纳")
        expect(page.locator(".reminders")).not_to_contain_text("需要补正材料")
        page = visitor.open(f"/me/applications/{app['id']}")
        expect(page.locator("main")).to_contain_text("15.00 元")
        visitor.shot("pay", phone=False)
        page.get_by_role("button", name="在线缴费").click()
        page.wait_for_url(re.compile(re.escape(platform.gateway) + "/api/payment/sandbox-channel/pay/"))
        page.get_by_role("button", name=re.compile("确认支付")).click()
        page.wait_for_url(portal + "/me")  # the channel sends the person back to their space

        def paid() -> bool:
            got = journey.polled(citizen.browser.get(f"/api/payment/v1/orders/{order['id']}", headers=citizen.auth))
            return bool(got and got["status"] == "paid")

        journey.eventually(paid, "the order paid")
        page = visitor.open(f"/me/applications/{app['id']}")
        expect(page.locator("main")).to_contain_text("已缴费")
        # The electronic receipt (电子票据), printable; its number is the payment service's.
        receipt = citizen.browser.get(f"/api/payment/v1/orders/{order['id']}/receipt", headers=citizen.auth).json()
        visitor.follow(page.get_by_role("link", name="电子票据"))
        expect(page.locator("#receipt-no")).to_have_text(receipt["receipt_no"])
        expect(page.locator("#receipt-total")).to_have_text("15.00 元")
        visitor.shot("receipt", phone=False)
        # An order that is not theirs (here: unknown; payment answers both alike) is a page that does not exist.
        page = visitor.open(f"/me/orders/{uuid.uuid4()}/receipt")
        expect(page.locator("h1")).to_have_text("页面不存在")

        # Delivered: the licence is in the personal space, with its QR code to the public verification page.
        journey.deliver(setup, citizen)
        lic = journey.receive_license(citizen)
        page = visitor.open(f"/me/licences/{lic['id']}")
        expect(page.locator("h1")).to_have_text(journey.RESULT_LICENSE)
        expect(page.locator(".qr svg")).to_be_visible()
        visitor.shot("licence")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 PDF").click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        verify_url = page.locator("#verify-link").get_attribute("href")
        assert verify_url == f"{portal}/verify/{lic['identifier']}"
        visitor.follow(page.get_by_role("link", name="打开核验页面"))
        expect(page.locator(".panel-confirm")).to_contain_text("证照真实有效")
        visitor.shot("verify")

        # Rating the completed case: a bad level is refused, then five levels and reasons.
        page = visitor.open(f"/me/applications/{app['id']}")
        visitor.follow(page.get_by_role("button", name="提交评价"))
        expect(page.locator(".error-summary")).to_contain_text("请选择评价等级")
        for _ in range(180):  # the evaluation service learns of the completed case through Kafka
            page.get_by_label("非常满意").check()
            visitor.follow(page.get_by_role("button", name="提交评价"))
            if "您的评价" in page.locator("main").inner_text():
                break
            page.wait_for_timeout(1000)
        expect(page.locator("main")).to_contain_text("您的评价：非常满意")
        # The rating counts in the public ranking at once (evaluation's own figures), under the department's name.
        page = visitor.open("/rankings?region=450100")
        expect(page.locator("#ranking-departments")).to_contain_text("南宁市市场监督管理局")
        visitor.shot("rankings")
        ratings = citizen.browser.get("/api/evaluation/v1/ratings", headers=citizen.auth).json()["items"]
        assert [(r["case_id"], r["level"]) for r in ratings] == [(citizen.ids["case"], 5)]
        page = visitor.open("/me")
        visitor.shot("space")
        # On a phone the list of applications stacks: every column readable without scrolling sideways.
        page.set_viewport_size(PHONE)
        fits = "(w => w.scrollWidth <= w.clientWidth)(document.querySelector('.table-wrap--stack'))"
        assert page.evaluate(fits), "the stacked table needs no sideways scrolling at 360 px"
        expect(page.locator(".table-wrap--stack td[data-label=状态]").first).to_be_visible()
        page.set_viewport_size(DESKTOP)

        # Sign-out ends the portal session and the sign-in at identity; the personal space asks again.
        page.get_by_role("button", name="退出").click()
        page.wait_for_load_state()
        if page.url.startswith(platform.gateway):  # identity asks to confirm when the ID token is no longer fresh
            page.get_by_role("button", name=re.compile("退出登录")).click()
        page.wait_for_url(re.compile(re.escape(portal) + r"/(\?.*)?$"))  # identity adds iss= (RFC 9207)
        page.goto(portal + "/me")
        expect(page.locator("#username")).to_be_visible()
    finally:
        context.close()
        citizen.browser.close()


def test_the_apply_path_works_without_javascript(
    platform: Platform, portal: str, setup: journey.Setup, browser: Browser, files: dict[str, Path]
) -> None:
    citizen, _ = ready_citizen(setup)
    context = new_context(browser, javascript=False)
    visitor = Visitor(context, portal, platform.gateway, axe=False)
    try:
        app = apply_in_browser(visitor, setup, citizen, files, shots=False)
        assert [a["id"] for a in my_applications(citizen)] == [app["id"]]

        # The start form sent twice with its one Idempotency-Key (a double click, a retry) makes one draft.
        page = visitor.open(f"/items/{setup.item_code}/apply")
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        key = page.locator("input[name=key]").get_attribute("value")
        form = {"csrf_token": token or "", "key": key or "", "id_number": citizen.id_number}
        first = page.request.post(f"{portal}/items/{setup.item_code}/apply", form=form, max_redirects=0)
        second = page.request.post(f"{portal}/items/{setup.item_code}/apply", form=form, max_redirects=0)
        assert first.status == second.status == 303
        assert first.headers["location"] == second.headers["location"]
        assert len(my_applications(citizen)) == 2, "one new draft, not two"

        # A number typed in by hand (the form asks for one only when identity holds none) is checked: a
        # malformed one is refused next to its field and creates nothing.
        typo = page.request.post(
            f"{portal}/items/{setup.item_code}/apply",
            form={**form, "key": uuid.uuid4().hex, "id_number": "45010219900101123"},
        )
        assert typo.status == 422 and "请输入18位公民身份号码" in typo.text()
        assert len(my_applications(citizen)) == 2

        # Without the form's CSRF token nothing is created.
        forged = page.request.post(
            f"{portal}/items/{setup.item_code}/apply", form={**form, "csrf_token": "x", "key": uuid.uuid4().hex}
        )
        assert forged.status == 403
        assert len(my_applications(citizen)) == 2
    finally:
        context.close()
        citizen.browser.close()


def test_an_expired_session_returns_the_person_where_they_were(
    platform: Platform, portal: str, setup: journey.Setup, browser: Browser
) -> None:
    citizen = journey.register(platform)
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/me")
        sign_in(visitor, citizen)
        assert page.url == portal + "/me"
        cookie = next(c for c in context.cookies() if c["name"] == "gov_portal_session")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

        # In a thread of its own: Playwright's sync API runs an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _expire_sessions(platform.database_url("portal"))).result()
        context.clear_cookies(name="gov_sso")  # and the sign-in at identity is over too
        page.goto(portal + "/me/licences")
        expect(page.locator("#username")).to_be_visible()  # the session is gone: sign in again
        sign_in(visitor, citizen)
        assert page.url == portal + "/me/licences"
        expect(page.locator("h1")).to_have_text("我的证照")

        # Signed in on another device too; "sign out everywhere" ends both, here and at identity.
        other = new_context(browser)
        try:
            elsewhere = Visitor(other, portal, platform.gateway)
            elsewhere.open("/me")
            sign_in(elsewhere, citizen)
            page = visitor.open("/me/account")
            assert page.locator("tbody tr").count() >= 2, "this browser and the other device"
            visitor.shot("account", phone=False)
            page.get_by_role("button", name="在所有设备上退出").click()
            page.wait_for_url(portal + "/")
            for tab in (page, elsewhere.page):
                tab.goto(portal + "/me")
                expect(tab.locator("#username")).to_be_visible()
        finally:
            other.close()
    finally:
        context.close()
        citizen.browser.close()


async def _expire_sessions(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute("UPDATE web_session SET expires_at = now() - interval '1 minute'")
    finally:
        await conn.close()


def test_a_citizen_books_and_cancels_a_hall_appointment(platform: Platform, portal: str, browser: Browser) -> None:
    citizen = journey.register(platform)
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/me/appointments")
        sign_in(visitor, citizen)
        for _ in range(14):  # the next day the hall opens
            if page.locator("input[name=slot_start]").count():
                break
            visitor.follow(page.get_by_role("link", name="看下一天"))
        # Booking without a slot chosen is refused next to the choice; nothing is booked.
        visitor.follow(page.get_by_role("button", name="预约", exact=True))
        expect(page.locator(".error-summary")).to_contain_text("请选择预约时段")
        expect(page.locator("tbody tr")).to_have_count(0)
        page.locator("input[name=slot_start]").first.check()
        visitor.follow(page.get_by_role("button", name="预约", exact=True))
        expect(page.locator(".notice").first).to_contain_text("预约成功")
        expect(page.locator("tbody")).to_contain_text("已预约")
        visitor.shot("appointments", phone=False)
        visitor.follow(page.get_by_role("button", name=re.compile("取消预约")))
        expect(page.locator("tbody")).to_contain_text("已取消")
    finally:
        context.close()
        citizen.browser.close()


def test_a_citizen_asks_about_an_item_from_its_guide(platform: Platform, portal: str, browser: Browser) -> None:
    citizen = journey.register(platform)
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/search?region=450100&q=" + FOOD)
        visitor.follow(page.get_by_role("link", name=FOOD).first)
        page.get_by_role("link", name="在线咨询或投诉").click()
        sign_in(visitor, citizen)
        expect(page.locator("h2").first).to_contain_text(FOOD)
        # Nothing filled in: each missing answer is named next to its field; nothing is sent.
        visitor.follow(page.get_by_role("button", name="提交"))
        expect(page.locator(".error-summary")).to_contain_text("请选择咨询或投诉")
        expect(page.locator("#c-question-error")).to_have_text("请填写具体内容")
        page.get_by_label("咨询").check()
        page.locator("#c-title").fill("网上申报需要哪些材料")
        page.locator("#c-question").fill("个体工商户开小吃店，申请食品经营许可需要准备哪些材料？")
        visitor.follow(page.get_by_role("button", name="提交"))
        expect(page.locator(".notice").first).to_contain_text("咨询已提交")
        expect(page.locator(".results")).to_contain_text("网上申报需要哪些材料")
        expect(page.locator(".results")).to_contain_text("待答复")

        # The department answers (through the API, as its staff do); the citizen reads it and rates it once.
        journey.sign_in_citizen(citizen)
        asked = citizen.browser.get("/api/evaluation/v1/consultations", headers=citizen.auth).json()["items"][0]
        # 小热线融合: the consultation became a 12345 work order of the item's department, answered there.
        handler = people.staff(platform, "nn-acceptor")

        def the_order() -> dict[str, Any] | None:
            items = handler.get("/api/hotline/v1/orders", params={"limit": 100}).json()["items"]
            return next((o for o in items if o["title"] == "网上申报需要哪些材料"), None)

        order = journey.eventually(the_order, "the consultation to become a work order")
        for step, body in (("sign", None), ("answer", {"answer": "请准备营业执照、经营场所证明和食品安全管理制度。"})):
            acted = handler.post(f"/api/hotline/v1/orders/{order['id']}/{step}", json=body or {})
            assert acted.status_code == 200, acted.text

        def answered() -> bool:
            got = citizen.browser.get(f"/api/evaluation/v1/consultations/{asked['id']}", headers=citizen.auth)
            return bool(got.json().get("answer"))

        journey.eventually(answered, "the answer back in evaluation")
        page = visitor.open("/me")
        expect(page.locator(".reminders")).to_contain_text("已答复")
        page = visitor.open("/me/consultations")
        expect(page.locator(".results")).to_contain_text("请准备营业执照")
        visitor.follow(page.get_by_role("button", name="提交评价"))
        expect(page.locator(f"#judge-{asked['id']}-error")).to_contain_text("请选择您对答复的满意程度")
        page.get_by_label("基本满意").check()
        visitor.follow(page.get_by_role("button", name="提交评价"))
        expect(page.locator(".results")).to_contain_text("您对答复的评价：基本满意")
        got = citizen.browser.get(f"/api/evaluation/v1/consultations/{asked['id']}", headers=citizen.auth).json()
        assert got["satisfaction"] == 3
    finally:
        context.close()
        citizen.browser.close()


def authorize_url(gateway: str, client_id: str, scope: str) -> str:
    """A code-flow start with PKCE S256 (the browser is sent here by a relying party)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return f"{gateway}/api/identity/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": f"{gateway}/callback",
            "scope": scope,
            "state": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )


def shot_both(page: Page, name: str) -> None:
    """``name`` at desktop width and at 360 px (docs/screenshots)."""
    screenshot(page, name)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-360")
    assert size is not None
    page.set_viewport_size(size)


def test_the_sign_in_pages_wear_the_portals_look(
    platform: Platform, portal: str, setup: journey.Setup, browser: Browser
) -> None:
    """Issue 24: identity's pages (sign-in, second factor, consent, sign-out) look like the portal, in
    Chinese, with each error next to its field, every asset from the platform, and no serious or critical
    axe-core violation; screenshots docs/screenshots/signin*.png."""
    citizen = journey.register(platform)
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/")
        portal_header = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
        page = visitor.open("/login?next=/space")
        assert page.url.startswith(platform.gateway + "/api/identity/"), page.url
        expect(page.locator("h1")).to_have_text("登录")
        expect(page.locator("main")).to_contain_text("广西政务服务网")
        header = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
        assert header == portal_header, "one look: the portal's stylesheet, served by identity"
        shot_both(page, "signin")

        page.locator("#username").fill(citizen.username)
        page.locator("#password").fill("not-the-password")
        visitor.follow(page.get_by_role("button", name="登录"))
        expect(page.locator("#password-error")).to_contain_text("用户名或密码错误")
        expect(page.locator(".error-summary a")).to_have_attribute("href", "#password")
        assert page.evaluate("document.activeElement.classList.contains('error-summary')"), "errors announced"
        shot_both(page, "signin-error")

        page.locator("#username").fill(citizen.username)
        page.locator("#password").fill(citizen.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(re.escape(portal + "/space")))
        visitor.checked()

        # Signing out of identity from elsewhere asks first (no proof the request comes from the session's client).
        page.goto(platform.gateway + "/api/identity/logout")
        visitor.checked()
        expect(page.locator("h1")).to_have_text("退出登录")
        visitor.follow(page.get_by_role("button", name="退出登录"))
        expect(page.locator("h1")).to_have_text("已退出登录")
    finally:
        context.close()

    # 切换办事身份: the demo enterprise's representative chooses to act for it; the portal says so everywhere.
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/login?next=/")
        page.locator("#username").fill("lisi")
        page.locator("#password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(re.escape(portal + "/")))
        visitor.checked()
        visitor.follow(page.get_by_role("link", name="切换办事身份"))
        expect(page.locator("h1")).to_have_text("选择办事身份")
        shot_both(page, "signin-enterprise")
        page.locator("input[name=acting_for]:not([value=self])").first.check()
        page.get_by_role("button", name="继续").click()
        page.wait_for_url(re.compile(re.escape(portal + "/")))
        visitor.checked()
        expect(page.locator(".acting")).to_contain_text("代表企业办事")
        expect(page.get_by_role("link", name="企业空间")).to_be_visible()
    finally:
        context.close()

    # Staff: the second factor, its error next to the field.
    secret = totp_secrets(platform.demo_text("identity"))["nn-reviewer"]
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.page
        page.goto(authorize_url(platform.gateway, WORKBENCH_CLIENT, "openid profile workflow.cases.read"))
        visitor.checked()
        page.locator("#username").fill("nn-reviewer")
        page.locator("#password").fill(DEMO_PASSWORD)
        visitor.follow(page.get_by_role("button", name="登录"))
        expect(page.locator("h1")).to_have_text("输入动态口令")
        shot_both(page, "signin-totp")
        page.locator("#code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        visitor.follow(page.get_by_role("button", name="确认"))
        expect(page.locator("#code-error")).to_contain_text("动态口令错误")
        page.locator("#code").fill(_totp_code(secret))
        page.get_by_role("button", name="确认").click()
        page.wait_for_url(re.compile(re.escape(platform.gateway + "/callback?")))
        assert "code=" in page.url
    finally:
        context.close()

    # The consent page a third-party application gets (the demo has none registered): rendered by identity's
    # own page code for the gateway's address, so its assets load from the platform as a real one does.
    consent = Pages(platform.gateway + "/api/identity", "广西统一身份认证").consent(
        action=platform.gateway + "/api/identity/consent",
        request_id="preview",
        client_name="南宁市公积金中心",
        scopes=["openid", "profile", "application.applications.read", "certificates.licenses.read"],
    )
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        preview = platform.gateway + "/api/identity/__consent-preview"
        context.route(preview, lambda route: route.fulfill(status=200, body=consent.body, content_type="text/html"))
        page = visitor.page
        page.goto(preview)
        visitor.checked()
        expect(page.locator("main")).to_contain_text("查看您的电子证照")
        shot_both(page, "signin-consent")
    finally:
        context.close()


def sms_code(platform: Platform, account_id: str, purpose: str) -> str:
    """The code of the last text message identity's development folder holds for the account."""
    for path in platform.data_dir.rglob(f"sms/{account_id}.txt"):
        text = path.read_text()
        if purpose in text:
            found = re.search(r"验证码 (\d{6})", text)
            assert found, text
            return found.group(1)
    raise AssertionError(f"no text message for {account_id} about {purpose}")


def test_a_citizen_changes_phone_and_password_with_reauthentication(
    platform: Platform, portal: str, browser: Browser
) -> None:
    """Issue 18, account: changing the recovery number or the password asks for the current password (the
    re-authentication identity requires); each refusal is next to its field and changes nothing; the new
    number needs the code sent to it; a new password ends every sign-in, and it is the one that works."""
    citizen = journey.register(platform)
    journey.sign_in_citizen(citizen)
    context = new_context(browser)
    visitor = Visitor(context, portal, platform.gateway)
    try:
        page = visitor.open("/login?next=/me/account")
        sign_in(visitor, citizen)
        page = visitor.open("/me/account")
        new_phone = "137" + citizen.phone[3:]
        page.locator("#phone").fill(new_phone)
        page.locator("#current_password").fill("not-my-password")
        visitor.follow(page.get_by_role("button", name="发送验证码"))
        expect(page.locator("#current_password-error")).to_contain_text("当前密码不正确")
        expect(page.locator("#phone")).to_have_value(new_phone)

        page.locator("#current_password").fill(citizen.password)
        visitor.follow(page.get_by_role("button", name="发送验证码"))
        expect(page.locator("main")).to_contain_text(f"验证码已发送到 {new_phone[:3]}")
        page.locator("#code").fill("000000")
        visitor.follow(page.get_by_role("button", name="确认修改"))
        expect(page.locator("#code-error")).to_contain_text("验证码错误")
        page.locator("#code").fill(sms_code(platform, citizen.account_id, "设为您账户的手机号"))
        visitor.follow(page.get_by_role("button", name="确认修改"))
        expect(page.locator(".notice--success")).to_contain_text("手机号码已修改")
        expect(page.locator(".summary")).to_contain_text(new_phone[-4:])
        visitor.shot("account-security", phone=False)

        page.locator("#old_password").fill(citizen.password)
        page.locator("#new_password").fill("Brand-new-pass-2026")
        page.locator("#confirm_password").fill("Brand-new-pass-2027")
        visitor.follow(page.get_by_role("button", name="修改密码"))
        expect(page.locator("#confirm_password-error")).to_contain_text("两次输入的新密码不一致")
        page.locator("#old_password").fill("not-my-password")
        page.locator("#new_password").fill("Brand-new-pass-2026")
        page.locator("#confirm_password").fill("Brand-new-pass-2026")
        visitor.follow(page.get_by_role("button", name="修改密码"))
        expect(page.locator("#old_password-error")).to_contain_text("当前密码不正确")

        page.locator("#old_password").fill(citizen.password)
        page.locator("#new_password").fill("Brand-new-pass-2026")
        page.locator("#confirm_password").fill("Brand-new-pass-2026")
        page.get_by_role("button", name="修改密码").click()
        # Every sign-in ended: identity asks for the password again, and only the new one works.
        page.wait_for_url(re.compile(re.escape(platform.gateway + "/api/identity/")))
        visitor.checked()
        citizen.password = "Brand-new-pass-2026"
        sign_in(visitor, citizen)
        assert page.url.startswith(portal + "/me/account"), page.url
    finally:
        context.close()
