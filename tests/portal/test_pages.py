"""The portal's mechanics in-process on its own SQLite database (no platform behind it): probes, security
headers, the CSRF check before anything is sent on, sign-in's state and return address, pages that need a
signed-in person, malformed ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gov_common.testing import serve_lifespan
from portal.main import create_app
from portal.settings import Settings

PUBLIC = "http://portal.test"


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
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
    page = await client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "set-cookie" not in page.headers, "an anonymous page starts no session"
    css = await client.get("/static/web/gov.css")
    assert css.status_code == 200 and "public" in css.headers["cache-control"]


async def test_sign_in_starts_a_pkce_flow_and_never_returns_elsewhere(client: httpx.AsyncClient) -> None:
    resp = await client.get("/login", params={"next": "https://evil.example/"})
    assert resp.status_code == 303
    target = urlsplit(resp.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/api/identity/authorize"
    assert query["client_id"] == ["gov-portal-web"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{PUBLIC}/callback"] and query["response_type"] == ["code"]
    assert "payment.orders.pay" in query["scope"][0].split()
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    # A callback whose state this session never started is refused (login CSRF); nothing is signed in.
    bad = await client.get("/callback", params={"code": "c", "state": "forged"})
    assert bad.status_code == 400 and "登录未完成" in bad.text
    assert (await client.get("/me")).status_code == 303


async def test_switching_identity_asks_identity_to_offer_the_choice(client: httpx.AsyncClient) -> None:
    """切换办事身份: the same PKCE flow with prompt=select_account (identity then lists the enterprises the
    person may act for); a plain sign-in does not ask."""
    switch = parse_qs(
        urlsplit((await client.get("/login", params={"switch": "1", "next": "/me"})).headers["location"]).query
    )
    plain = parse_qs(urlsplit((await client.get("/login", params={"next": "/me"})).headers["location"]).query)
    assert switch["prompt"] == ["select_account"] and "prompt" not in plain
    assert switch["code_challenge_method"] == ["S256"]


async def test_pages_of_the_personal_space_send_the_person_to_sign_in_and_back(client: httpx.AsyncClient) -> None:
    resp = await client.get("/me/applications/6f1c2f8e-1111-4222-8333-944455556666")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fme%2Fapplications%2F6f1c2f8e-1111-4222-8333-944455556666"


async def test_malformed_ids_are_pages_that_do_not_exist(client: httpx.AsyncClient) -> None:
    for path in ("/applications/not-a-uuid/form", "/me/applications/1%27%20OR%201=1", "/me/licences/..%2F..%2Fadmin"):
        resp = await client.get(path)
        assert resp.status_code == 404, (path, resp.status_code)


async def test_every_form_needs_its_csrf_token_and_our_origin(client: httpx.AsyncClient) -> None:
    await client.get("/login")  # a session exists (it holds a token now)
    for path in (
        "/logout",
        "/items/X1/apply",
        "/me/orders/6f1c2f8e-1111-4222-8333-944455556666/pay",
        "/me/account/sign-out-everywhere",
    ):
        resp = await client.post(path, data={"csrf_token": "guess"})
        assert resp.status_code == 403 and "页面已过期" in resp.text, path
    forged = await client.post("/logout", data={}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
