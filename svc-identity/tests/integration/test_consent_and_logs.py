"""Consent for third-party clients; staff TOTP re-enrolment; no personal data in the logs."""

from __future__ import annotations

import logging

import pyotp
import pytest
import sqlalchemy as sa

from identity.models import Consent

from ..conftest import ISSUER, REDIRECT, Idp, form_action, hidden, query, sign_in

pytestmark = pytest.mark.postgres

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def url(client_id: str, scope: str = "openid profile") -> str:
    return f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope={scope.replace(' ', '+')}&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256"


async def test_third_party_clients_need_consent_once(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client(first_party=False)
    async with idp.http() as browser:
        page = await browser.get(url(client_id))
        consent = await browser.post(
            form_action(page.text),
            data={"request_id": hidden(page.text), "username": "lisi", "password": "Correct-horse-42"},
        )
        assert consent.status_code == 200 and 'name="decision"' in consent.text and "profile" in consent.text
        denied = await browser.post(
            form_action(consent.text), data={"request_id": hidden(consent.text), "decision": "deny"}
        )
        assert query(denied.headers["location"])["error"] == "access_denied"

        again = await browser.get(url(client_id))  # signed in already: straight to consent
        assert 'name="decision"' in again.text
        allowed = await browser.post(
            form_action(again.text), data={"request_id": hidden(again.text), "decision": "allow"}
        )
        assert "code" in query(allowed.headers["location"])

        silent = await browser.get(url(client_id, "openid profile phone") + "&prompt=none")
        assert query(silent.headers["location"])["error"] == "consent_required"
        remembered = await browser.get(url(client_id))
        assert remembered.status_code == 303 and "code" in query(remembered.headers["location"]), (
            "consent is remembered"
        )
        wider = await browser.get(url(client_id, "openid profile phone"))
        assert 'name="decision"' in wider.text, "a wider scope asks again"
    async with idp.db.transaction() as session:
        row = await session.scalar(sa.select(Consent))
    assert row is not None and row.scopes == ["openid", "profile"]


async def test_staff_admin_issues_a_new_totp_secret(idp: Idp) -> None:
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",))
    staff, old_secret = await idp.staff("nn-acceptor", roles=("acceptor",), totp=False)
    async with idp.http() as http:
        resp = await http.post(
            f"/api/identity/v1/staff/{staff}/totp", headers={"Authorization": f"Bearer {await idp.token_for(admin)}"}
        )
        refused = await http.post(
            f"/api/identity/v1/staff/{staff}/totp", headers={"Authorization": f"Bearer {await idp.token_for(staff)}"}
        )
    assert resp.status_code == 200 and refused.status_code == 403
    secret = pyotp.parse_uri(resp.json()["totp_provisioning_uri"]).secret
    assert secret != old_secret
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        done = await sign_in(browser, url(client_id, "openid"), username="nn-acceptor", totp_secret=secret)
    assert done.status_code == 303 and "code" in query(done.headers["location"])


async def test_no_personal_data_in_logs(idp: Idp, caplog: pytest.LogCaptureFixture) -> None:
    id_number, phone = "450102199001011231", "13912345678"
    caplog.set_level(logging.DEBUG)
    client_id, _ = await idp.client()
    async with idp.http() as http:
        created = await http.post(
            "/api/identity/v1/citizens",
            json={
                "username": "zhangsan",
                "real_name": "张三",
                "id_number": id_number,
                "phone": phone,
                "password": "Correct-horse-42",
            },
        )
        bad = await http.post(
            "/api/identity/v1/citizens",
            json={
                "username": "other",
                "real_name": "张三",
                "id_number": id_number[:-1] + "0",
                "phone": phone,
                "password": "Correct-horse-42",
            },
        )
    async with idp.http() as browser:
        await sign_in(browser, url(client_id, "openid"), username=id_number, password="wrong-password-1")
        await sign_in(browser, url(client_id, "openid"), username=phone)
    assert created.status_code == 202 and bad.status_code == 422
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert "/authorize" in logged, "the requests were logged"
    for value in (id_number, phone, "Correct-horse-42", "张三"):
        assert value not in logged
