"""The hall window portal's mechanics in-process (no platform behind it): every page needs a signed-in staff
member, every form its CSRF token and our origin, and malformed ids are pages that do not exist."""

from __future__ import annotations

import httpx

from workbench.pages.hall import ID_NUMBER_RE, REFERENCE_RE, quota_spent

APP = "6f1c2f8e-1111-4222-8333-944455556666"


async def test_every_hall_page_needs_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    for path in (
        "/hall",
        "/hall/appointments?reference=YY23456789",
        "/hall/apply",
        f"/hall/applications/{APP}",
        f"/hall/applications/{APP}/form",
        f"/hall/applications/{APP}/materials",
        f"/hall/applications/{APP}/notices/{APP}",
    ):
        resp = await client.get(path)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2Fhall"), path


async def test_every_hall_form_needs_its_csrf_token_and_our_origin(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    for path in (
        "/hall/appointments/check-in",
        "/hall/people",
        "/hall/people/in-person",
        "/hall/people/clear",
        "/hall/apply",
        f"/hall/applications/{APP}/form",
        f"/hall/applications/{APP}/materials",
        f"/hall/applications/{APP}/submit",
        f"/hall/applications/{APP}/delivery/handover",
    ):
        resp = await client.post(path, data={"csrf_token": "guess"})
        assert resp.status_code == 403 and "页面已过期" in resp.text, path
    forged = await client.post("/hall/people", data={}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403


async def test_malformed_ids_are_pages_that_do_not_exist(client: httpx.AsyncClient) -> None:
    for path in (
        "/hall/applications/not-a-uuid",
        "/hall/applications/1%27%20OR%201=1/form",
        f"/hall/applications/{APP}/notices/..%2F..%2Fadmin",
    ):
        assert (await client.get(path)).status_code == 404, path


def test_what_the_window_accepts_as_a_reference_or_an_id_number() -> None:
    assert REFERENCE_RE.match("YY23456789") and ID_NUMBER_RE.match("45010219900101123X")
    for forged in ("../../x", "YY2345678", "YY234567890", "yy23456789", "YY2345678O", "YY%2F..%2F.."):
        assert not REFERENCE_RE.match(forged), forged
    for forged in ("45010219900101123x", "4501021990010112", "45010219900101123X "):
        assert not ID_NUMBER_RE.match(forged), forged


def test_a_spent_real_name_quota_tells_the_clerk_when_to_try_again() -> None:
    assert quota_spent("61") == "您一小时内的实名核验次数已达上限，请 2 分钟后再试"
    assert quota_spent("3600").endswith("请 60 分钟后再试")
    assert quota_spent(None).endswith("请 60 分钟后再试") and quota_spent("soon").endswith("请 60 分钟后再试")
