"""Password resets: by a code sent to the registered mobile number (development text-message folder),
and by a staff admin for staff."""

from __future__ import annotations

import re

import pytest

from ..conftest import ISSUER, REDIRECT, Idp, query, sign_in

pytestmark = pytest.mark.postgres

V1 = "/api/identity/v1"


def url(client_id: str) -> str:
    return f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=openid&code_challenge={'c' * 43}&code_challenge_method=S256"


async def test_self_service_reset_by_text_message(idp: Idp) -> None:
    account = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        await sign_in(browser, url(client_id), username="lisi")
    async with idp.http() as http:
        unknown = await http.post(f"{V1}/password-resets", json={"identifier": "nobody"})
        started = await http.post(f"{V1}/password-resets", json={"identifier": "13800000002"})
        assert unknown.status_code == started.status_code == 202, "the same answer whether or not the account exists"
        reset_id = started.json()["reset_id"]
        message = (idp.settings.data_dir / "sms" / f"{account}.txt").read_text()
        code = re.search(r"\d{6}", message)
        assert code
        wrong_code = "000000" if code.group(0) != "000000" else "111111"
        wrong = await http.post(
            f"{V1}/password-resets/{reset_id}/completion", json={"code": wrong_code, "new_password": "Brand-new-pass-7"}
        )
        fake = await http.post(
            f"{V1}/password-resets/{unknown.json()['reset_id']}/completion",
            json={"code": code.group(0), "new_password": "Brand-new-pass-7"},
        )
        done = await http.post(
            f"{V1}/password-resets/{reset_id}/completion",
            json={"code": code.group(0), "new_password": "Brand-new-pass-7"},
        )
        again = await http.post(
            f"{V1}/password-resets/{reset_id}/completion",
            json={"code": code.group(0), "new_password": "Brand-new-pass-8"},
        )
        sessions = await http.get(
            f"{V1}/me/sessions", headers={"Authorization": f"Bearer {await idp.token_for(account)}"}
        )
    assert wrong.status_code == 422 and wrong.json()["attempts_left"] == 4
    assert fake.status_code == 422
    assert done.status_code == 204
    assert again.status_code == 422, "a code works once"
    assert sessions.json()["items"] == [], "every session ended"
    async with idp.http() as browser:
        old = await sign_in(browser, url(client_id), username="lisi")
        new = await sign_in(browser, url(client_id), username="lisi", password="Brand-new-pass-7")
    assert old.status_code == 401
    assert "code" in query(new.headers["location"])


async def test_attempts_are_bounded(idp: Idp) -> None:
    account = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    async with idp.http() as http:
        reset_id = (await http.post(f"{V1}/password-resets", json={"identifier": "lisi"})).json()["reset_id"]
        code = re.search(r"\d{6}", (idp.settings.data_dir / "sms" / f"{account}.txt").read_text())
        assert code
        wrong_code = "000000" if code.group(0) != "000000" else "111111"
        for _ in range(5):
            await http.post(
                f"{V1}/password-resets/{reset_id}/completion",
                json={"code": wrong_code, "new_password": "Brand-new-pass-7"},
            )
        late = await http.post(
            f"{V1}/password-resets/{reset_id}/completion",
            json={"code": code.group(0), "new_password": "Brand-new-pass-7"},
        )
    assert late.status_code == 422, "after five wrong codes even the right one fails"


async def test_staff_admin_resets_staff_password_in_their_subtree_only(idp: Idp) -> None:
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    ours, _ = await idp.staff("nn-acceptor", roles=("acceptor",), region="450100")
    theirs, _ = await idp.staff("lz-acceptor", roles=("acceptor",), region="450200")
    headers = {"Authorization": f"Bearer {await idp.token_for(admin)}"}
    async with idp.http() as http:
        ok = await http.post(f"{V1}/staff/{ours}/password-reset", headers=headers)
        refused = await http.post(f"{V1}/staff/{theirs}/password-reset", headers=headers)
    assert ok.status_code == 200 and len(ok.json()["temporary_password"]) >= 10
    assert refused.status_code == 403 and refused.json()["type"].endswith(":outside-region")
