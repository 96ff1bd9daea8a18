"""The workbench's mechanics in-process on its own SQLite database (no platform behind it): probes, security
headers, sign-in as a confidential staff client, pages that need a signed-in staff member, CSRF on every
form, malformed ids, and where a form may send the browser back to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gov_common.testing import serve_lifespan
from workbench.main import create_app
from workbench.pages.calls import back_to
from workbench.settings import Settings

PUBLIC = "http://workbench.test"
CASE = "6f1c2f8e-1111-4222-8333-944455556666"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path,
        public_url=PUBLIC,
        gateway_url="http://127.0.0.1:9",  # nothing listens: these tests never reach the platform
        log_json=False,
    )
    async with serve_lifespan(create_app(settings)) as served:
        served.base_url = httpx.URL(PUBLIC)
        yield served


async def test_probes_and_security_headers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).json()["checks"] == {"database": "ok"}
    page = await client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    css = await client.get("/static/app/workbench.css")
    assert css.status_code == 200 and ".counts" in css.text


async def test_sign_in_is_the_staff_client_with_staff_scopes(client: httpx.AsyncClient) -> None:
    resp = await client.get("/login", params={"next": "https://evil.example/"})
    assert resp.status_code == 303
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    assert query["client_id"] == ["gov-workbench-web"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{PUBLIC}/callback"]
    scopes = query["scope"][0].split()
    assert "workflow.cases.handle" in scopes and "payment.orders.pay" not in scopes
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("gov_workbench_session=") and "HttpOnly" in cookie and "Secure" in cookie
    bad = await client.get("/callback", params={"code": "c", "state": "forged"})
    assert bad.status_code == 400


async def test_every_page_needs_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    for path in ("/", f"/cases/{CASE}", f"/cases/{CASE}/materials/{CASE}", "/?tracking_number=X", "/supervision"):
        resp = await client.get(path)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2F"), path


async def test_malformed_ids_are_pages_that_do_not_exist(client: httpx.AsyncClient) -> None:
    for path in ("/cases/not-a-uuid", "/cases/1%27%20OR%201=1", f"/cases/{CASE}/materials/..%2F..%2Fadmin"):
        assert (await client.get(path)).status_code == 404, path


async def test_every_form_needs_its_csrf_token_and_our_origin(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    for path in (f"/tasks/{CASE}/claim", f"/tasks/{CASE}/release", f"/cases/{CASE}/tasks/{CASE}/complete", "/logout"):
        resp = await client.post(path, data={"csrf_token": "guess"})
        assert resp.status_code == 403 and "页面已过期" in resp.text, path
    forged = await client.post(f"/tasks/{CASE}/claim", data={}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403


def test_forms_return_only_to_the_inbox_or_a_case() -> None:
    assert back_to("/?sla=red&mine=1") == "/?sla=red&mine=1"
    assert back_to(f"/cases/{CASE}") == f"/cases/{CASE}"
    for forged in ("https://evil.example/", "//evil.example", "/\\evil", "/cases/x/../../admin", None, "/logout"):
        assert back_to(forged) == "/", forged
