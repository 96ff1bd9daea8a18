"""A real browser for the web front-ends' tests: Debian's headless Chromium (installed by scripts/browser.sh
when missing) driven through Playwright's Python API with ``executable_path`` (Playwright downloads no
browser), axe-core (pinned inside the axe-playwright-python package, injected from that file, nothing fetched)
for accessibility, and screenshots at desktop and 360 px width into docs/screenshots."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# WCAG 2.1 A and AA rules only (axe's best-practice rules are advice, not the standard).
# How long a click may take to lead to a loaded page before navigate_by looks at what happened.
NAVIGATION_GRACE_MS = 30_000
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def chromium_path() -> str:
    """Debian's chromium, installed when missing (idempotent)."""
    out = subprocess.run([str(ROOT / "scripts" / "browser.sh")], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


@contextmanager
def chromium() -> Iterator[Browser]:
    path = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path,
            headless=True,
            # No route out: every asset must come from the portal itself (a CDN request would fail the page).
            args=[
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=127.0.0.1;localhost",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, *, javascript: bool = True, phone: bool = False) -> BrowserContext:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        java_script_enabled=javascript,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(60_000)
    return context


def navigate_by(page: Page, target: Locator) -> None:
    """Click a link or a form's button and wait until the page it leads to is there. A click returns before
    the browser has left the old page: asserting on the old page, or choosing in it, raced the navigation
    under the full suite's load (a radio seen unchanged, an error message never shown).

    Clicks on the workbench's case page were lost while it embedded PDF previews (Chromium's out-of-process
    PDF viewer): a radio left unchanged, a form never sent. The case page now embeds a PDF only when asked
    for. Should a click still lead nowhere, with the old document still there after a while, it is made
    once more, as a person would (unless its form was sent: then the answer is awaited); when a new page
    came but has not finished loading, its content is enough. A page that never comes still fails."""
    page.evaluate("() => { window.__leftBehind = true; }")
    try:
        with page.expect_navigation(timeout=NAVIGATION_GRACE_MS):
            target.click()
        return
    except PlaywrightTimeoutError:
        if not page.evaluate("() => window.__leftBehind === true"):
            page.wait_for_load_state("domcontentloaded")
            return
    # gov.js marks a form it let go (data-sent): then the answer is still coming, and a second click would
    # send the form twice. Otherwise the click was lost.
    if target.evaluate("el => !!(el.form && el.form.dataset.sent === '1')"):
        page.wait_for_event("domcontentloaded")
        return
    with page.expect_navigation(wait_until="domcontentloaded"):
        target.click()


_axe = Axe()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 AA violations on the page as it is now."""
    results = _axe.run(page, options=AXE_OPTIONS)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5], "help": v["help"]}
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def assert_accessible(page: Page) -> None:
    found = serious_violations(page)
    assert not found, f"axe-core on {page.url}: {found}"


def screenshot(page: Page, name: str, folder: Path = SCREENSHOTS) -> Path:
    """A full-page screenshot into docs/screenshots/<name>.png (kept in the repository as documentation)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
