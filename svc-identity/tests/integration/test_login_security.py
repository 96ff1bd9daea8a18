"""Lockout with back-off per account and per source address; staff must finish sign-in with TOTP."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from identity.models import AuditEvent, LoginThrottle
from identity.oidc.throttle import account_key

from ..conftest import ISSUER, REDIRECT, Idp, form_action, hidden, query, sign_in

pytestmark = pytest.mark.postgres


def authorize_url(client_id: str) -> str:
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    return (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=openid"
        f"&state={secrets.token_hex(4)}&code_challenge={challenge}&code_challenge_method=S256"
    )


async def attempt(idp: Idp, client_id: str, username: str, password: str):
    async with idp.http() as browser:
        return await sign_in(browser, authorize_url(client_id), username=username, password=password)


async def move_lock_into_the_past(idp: Idp, key: str) -> None:
    async with idp.db.transaction() as session:
        row = await session.get(LoginThrottle, key)
        assert row is not None and row.locked_until is not None
        row.locked_until = datetime.now(UTC) - timedelta(seconds=1)


async def lock_seconds(idp: Idp, key: str) -> float:
    async with idp.db.transaction() as session:
        row = await session.get(LoginThrottle, key)
        assert row is not None and row.locked_until is not None and row.last_failure_at is not None
        return (row.locked_until - row.last_failure_at).total_seconds()


async def test_account_lockout_with_back_off(idp: Idp) -> None:
    account = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client()
    threshold = idp.settings.lockout_account_threshold
    for _ in range(threshold - 1):
        resp = await attempt(idp, client_id, "lisi", "wrong-password-1")
        assert resp.status_code == 401
    locking = await attempt(idp, client_id, "lisi", "wrong-password-1")
    assert locking.status_code == 401
    first = await lock_seconds(idp, account_key(account))
    assert first == idp.settings.lockout_base_seconds

    locked = await attempt(idp, client_id, "lisi", "Correct-horse-42")
    assert locked.status_code == 429, "the right password does not help while locked"
    assert int(locked.headers["retry-after"]) > 0

    await move_lock_into_the_past(idp, account_key(account))
    again = await attempt(idp, client_id, "lisi", "wrong-password-1")
    assert again.status_code == 401
    assert await lock_seconds(idp, account_key(account)) == 2 * first, "each further failure doubles the lock"

    await move_lock_into_the_past(idp, account_key(account))
    ok = await attempt(idp, client_id, "lisi", "Correct-horse-42")
    assert ok.status_code == 303 and "code" in query(ok.headers["location"])
    async with idp.db.transaction() as session:
        row = await session.get(LoginThrottle, account_key(account))
        actions = set((await session.scalars(sa.select(AuditEvent.action))).all())
    assert row is not None and row.failures == 0, "success resets the account counter"
    assert {"login.failed", "login.locked", "login.refused_locked", "login.succeeded"} <= actions


async def test_source_address_lockout_covers_unknown_user_names(idp: Idp) -> None:
    client_id, _ = await idp.client()
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    for i in range(idp.settings.lockout_address_threshold):
        resp = await attempt(idp, client_id, f"nobody{i}", "whatever-123")
        assert resp.status_code == 401
    blocked = await attempt(idp, client_id, "lisi", "Correct-horse-42")
    assert blocked.status_code == 429


async def test_staff_without_a_second_factor_cannot_finish_login(idp: Idp) -> None:
    await idp.staff("nn-acceptor", roles=("acceptor",), totp=False)
    client_id, _ = await idp.client()
    resp = await attempt(idp, client_id, "nn-acceptor", "Correct-horse-42")
    assert resp.status_code == 403
    assert "location" not in resp.headers


async def test_staff_sign_in_needs_a_fresh_totp_code(idp: Idp) -> None:
    _staff_id, secret = await idp.staff("nn-reviewer", roles=("reviewer",))
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        page = await browser.get(authorize_url(client_id))
        second = await browser.post(
            form_action(page.text),
            data={"request_id": hidden(page.text), "username": "nn-reviewer", "password": "Correct-horse-42"},
        )
        assert second.status_code == 200 and 'name="code"' in second.text, "a password alone does not finish"
        wrong = await browser.post(
            form_action(second.text),
            data={
                "request_id": hidden(second.text),
                "code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
            },
        )
        assert wrong.status_code == 401
        code = pyotp.TOTP(secret).now()
        done = await browser.post(form_action(second.text), data={"request_id": hidden(second.text), "code": code})
    assert done.status_code == 303 and "code" in query(done.headers["location"])

    async with idp.http() as other_browser:  # the same code again (shoulder-surfed): refused
        page = await other_browser.get(authorize_url(client_id))
        step = await other_browser.post(
            form_action(page.text),
            data={"request_id": hidden(page.text), "username": "nn-reviewer", "password": "Correct-horse-42"},
        )
        replay = await other_browser.post(form_action(step.text), data={"request_id": hidden(step.text), "code": code})
    assert replay.status_code == 401


async def test_a_login_form_from_another_browser_is_refused(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client()
    async with idp.http() as victim, idp.http() as attacker:
        page = await attacker.get(authorize_url(client_id))
        resp = await victim.post(
            form_action(page.text),
            data={"request_id": hidden(page.text), "username": "lisi", "password": "Correct-horse-42"},
        )
    assert resp.status_code == 400 and "location" not in resp.headers
