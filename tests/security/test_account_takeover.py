"""Issue 15, finding 1 (any access token becomes the account for good), the staff-admin half of finding 6
(staff admins reset privileged accounts) and the registration item of finding 10 (account enumeration).

These are attacks on identity's own rules, so identity runs in-process on PostgreSQL behind a
gateway-like mount at ``/api/identity`` (svc-identity's test fixtures); text messages are caught by a
recording sender. Each test is one attack and the platform's answer."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import identity_test_fixtures as fixtures
import pyotp
import pytest
import sqlalchemy as sa

from gov_standards.china_time import utcnow as now
from identity.models import Account, LoginSession, LoginThrottle, PasswordReset, PhoneChange, RefreshToken

ISSUER, REDIRECT, PASSWORD, query, sign_in = (
    fixtures.ISSUER,
    fixtures.REDIRECT,
    fixtures.PASSWORD,
    fixtures.query,
    fixtures.sign_in,
)

pytestmark = pytest.mark.postgres

V1 = f"{ISSUER}/v1"
VERIFIER, CHALLENGE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
LISI_ID, OWN_PHONE, ATTACKER_PHONE = "450102198506152342", "13800000002", "13999999999"
ACCOUNT_SCOPES = "identity.account.read identity.account.write"
PROBLEM = "application/problem+json"


@dataclass
class Texts:
    """Stands in for the SMS gateway: what was sent to which number."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, *, account_id: str, phone: str, text: str) -> None:
        self.sent.append((phone, text))

    def to(self, phone: str) -> list[str]:
        return [text for number, text in self.sent if number == phone]

    def code_to(self, phone: str) -> str:
        (text,) = self.to(phone)
        match = re.search(r"\d{6}", text)
        assert match, text
        return match.group(0)


@pytest.fixture
def texts(idp: Any) -> Texts:
    recorder = Texts()
    idp.identity.sms = recorder
    return recorder


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signed_in(idp: Any, client_id: str, username: str) -> dict[str, Any]:
    """A sign-in through the HTML pages, the code redeemed: access and refresh token of a new session."""
    url = (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}"
        f"&scope=openid%20offline_access%20{ACCOUNT_SCOPES.replace(' ', '%20')}&state={secrets.token_hex(4)}"
        f"&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )
    async with idp.http() as browser:
        done = await sign_in(browser, url, username=username)
        assert done.status_code == 303, done.text
        answer = await browser.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "authorization_code",
                "code": query(done.headers["location"])["code"],
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": VERIFIER,
            },
        )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def account_row(idp: Any, account_id: uuid.UUID) -> Account:
    async with idp.db.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        session.expunge(account)
        return account


async def phone_index(idp: Any, phone: str) -> str:
    return str(idp.identity.pii.index(phone, kind="phone"))


# ---------------------------------------------------------------- finding 1: the recovery phone


async def test_a_stolen_token_alone_cannot_change_the_phone(idp: Any, texts: Texts) -> None:
    """Attack: with a stolen access token (full account scopes) the attacker sets their own number as the
    account's mobile number, the way PATCH /me allowed, then asks for a reset code. Answer: PATCH /me no
    longer exists (405); the phone change without the current password is refused (403
    reauthentication-failed, password required); the number is unchanged, nothing was texted to the
    attacker, no change is pending."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    stolen = bearer(await idp.token_for(lisi))
    async with idp.http() as http:
        patched = await http.patch(f"{V1}/me", json={"phone": ATTACKER_PHONE}, headers=stolen)
        started = await http.post(f"{V1}/me/phone-changes", json={"phone": ATTACKER_PHONE}, headers=stolen)
    assert patched.status_code == 405
    assert started.status_code == 403 and started.headers["content-type"] == PROBLEM
    assert started.json()["type"].endswith(":reauthentication-failed")
    assert started.json()["reason"] == "password-required"
    assert (await account_row(idp, lisi)).phone_index == await phone_index(idp, OWN_PHONE)
    assert texts.sent == []
    async with idp.db.transaction() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(PhoneChange)) == 0


async def test_a_wrong_password_changes_nothing_and_counts_towards_the_lockout(idp: Any, texts: Texts) -> None:
    """Attack: the token holder guesses the current password. Answer: 403 reauthentication-failed; the
    number is unchanged, no code is sent; the failure counts on the account's sign-in lockout, and after
    enough of them even the right password is refused (429) until the lock ends."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    stolen = bearer(await idp.token_for(lisi))
    threshold = idp.settings.lockout_account_threshold
    async with idp.http() as http:
        guesses = [
            await http.post(
                f"{V1}/me/phone-changes",
                json={"phone": ATTACKER_PHONE, "current_password": f"Guess-{n}-horse"},
                headers=stolen,
            )
            for n in range(threshold)
        ]
        right = await http.post(
            f"{V1}/me/phone-changes", json={"phone": ATTACKER_PHONE, "current_password": PASSWORD}, headers=stolen
        )
    assert all(g.status_code == 403 and g.json()["type"].endswith(":reauthentication-failed") for g in guesses)
    assert right.status_code == 429 and right.json()["type"].endswith(":account-locked")
    assert (await account_row(idp, lisi)).phone_index == await phone_index(idp, OWN_PHONE)
    assert texts.sent == []
    async with idp.db.transaction() as session:
        throttle = await session.get(LoginThrottle, f"acct:{lisi}")
    assert throttle is not None and throttle.failures == threshold


async def test_guessing_the_password_through_a_password_change_counts_towards_the_lockout(
    idp: Any, texts: Texts
) -> None:
    """Attack: the token holder guesses the current password through ``POST /me/password`` (a right guess
    sets a new password, and then the recovery phone). Answer: each wrong guess is 403 and counts on the
    account's sign-in lockout; once locked, even the right password is refused (429); the password is
    unchanged."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    stolen = bearer(await idp.token_for(lisi))
    before = (await account_row(idp, lisi)).password_hash
    threshold = idp.settings.lockout_account_threshold
    change = {"new_password": "Attacker-2026-horse"}
    async with idp.http() as http:
        guesses = [
            await http.post(f"{V1}/me/password", json={**change, "current_password": f"Guess-{n}-x"}, headers=stolen)
            for n in range(threshold)
        ]
        right = await http.post(f"{V1}/me/password", json={**change, "current_password": PASSWORD}, headers=stolen)
    assert all(g.status_code == 403 and g.json()["type"].endswith(":reauthentication-failed") for g in guesses)
    assert right.status_code == 429 and right.json()["type"].endswith(":account-locked")
    assert (await account_row(idp, lisi)).password_hash == before


async def test_a_recent_staff_sign_in_confirms_a_phone_change_with_totp(idp: Any, texts: Texts) -> None:
    """The other side of the rule: staff who signed in minutes ago (their token carries ``auth_time``)
    confirm the change with a TOTP code instead of the password; the code goes to the new number."""
    staff, secret = await idp.staff("nn-acceptor", roles=("acceptor",))
    client_id, _ = await idp.client(scopes=(*ACCOUNT_SCOPES.split(), "openid"), account_kinds=("staff",))
    url = (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}"
        f"&scope=openid%20{ACCOUNT_SCOPES.replace(' ', '%20')}&state=s1"
        f"&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )
    async with idp.http() as browser:
        done = await sign_in(browser, url, username="nn-acceptor", totp_secret=secret)
        tokens = await browser.post(
            f"{ISSUER}/token",
            data={
                "grant_type": "authorization_code",
                "code": query(done.headers["location"])["code"],
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": VERIFIER,
            },
        )
        # the next time step's code (identity accepts one step of drift, and refuses a step used twice)
        answer = await browser.post(
            f"{V1}/me/phone-changes",
            json={"phone": ATTACKER_PHONE, "totp_code": pyotp.TOTP(secret).at(time.time() + 30)},
            headers=bearer(tokens.json()["access_token"]),
        )
    assert answer.status_code == 202, answer.text
    assert len(texts.to(ATTACKER_PHONE)) == 1
    del staff


async def test_a_staff_totp_code_needs_a_token_that_says_when_they_signed_in(idp: Any, texts: Texts) -> None:
    """Attack: a stolen staff token (which says nothing of when its holder signed in) and a TOTP code
    shoulder-surfed. Answer: 403, the password is required; nothing changed."""
    staff, secret = await idp.staff("nn-acceptor", roles=("acceptor",))
    async with idp.http() as http:
        answer = await http.post(
            f"{V1}/me/phone-changes",
            json={"phone": ATTACKER_PHONE, "totp_code": pyotp.TOTP(secret).now()},
            headers=bearer(await idp.token_for(staff)),
        )
    assert answer.status_code == 403 and answer.json()["reason"] == "password-required"
    assert (await account_row(idp, staff)).phone_index is None
    assert texts.sent == []


async def test_the_new_number_must_return_the_code_and_the_old_number_is_told(idp: Any, texts: Texts) -> None:
    """Attack: someone who knows the password sets a number they do not hold (or mistypes one). Answer: the
    number changes only when the code texted to the new number comes back; a wrong code is refused (422)
    and changes nothing; once confirmed, the old number gets a notice naming the new (masked) one."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    me = bearer(await idp.token_for(lisi))
    async with idp.http() as http:
        started = await http.post(
            f"{V1}/me/phone-changes", json={"phone": ATTACKER_PHONE, "current_password": PASSWORD}, headers=me
        )
        assert started.status_code == 202, started.text
        change = started.json()["id"]
        code = texts.code_to(ATTACKER_PHONE)
        before = await account_row(idp, lisi)
        wrong = await http.post(
            f"{V1}/me/phone-changes/{change}/confirmation",
            json={"code": "000000" if code != "000000" else "111111"},
            headers=me,
        )
        after_wrong = await account_row(idp, lisi)
        confirmed = await http.post(f"{V1}/me/phone-changes/{change}/confirmation", json={"code": code}, headers=me)
        again = await http.post(f"{V1}/me/phone-changes/{change}/confirmation", json={"code": code}, headers=me)
    assert before.phone_index == await phone_index(idp, OWN_PHONE), "not before the code came back"
    assert wrong.status_code == 422 and wrong.json()["type"].endswith(":change-code-wrong")
    assert after_wrong.phone_index == await phone_index(idp, OWN_PHONE)
    assert confirmed.status_code == 200 and confirmed.json()["phone_masked"] == "139****9999"
    assert again.status_code == 422, "a code is used once"
    (notice,) = texts.to(OWN_PHONE)
    assert "139****9999" in notice and not re.search(r"\d{6}", notice)
    assert (await account_row(idp, lisi)).recovery_changed_at is not None


async def test_changing_the_phone_ends_the_other_sessions(idp: Any, texts: Texts) -> None:
    """Attack: the account's owner changes the number because a device was stolen; the thief's session
    (and its refresh token) must not survive. Answer: every other sign-in session ends and its refresh
    token is refused (invalid_grant); the session that made the change goes on."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    client_id, _ = await idp.client(scopes=(*ACCOUNT_SCOPES.split(), "offline_access"))
    thief = await signed_in(idp, client_id, "lisi")
    owner = await signed_in(idp, client_id, "lisi")
    me = bearer(owner["access_token"])
    async with idp.http() as http:
        started = await http.post(
            f"{V1}/me/phone-changes", json={"phone": ATTACKER_PHONE, "current_password": PASSWORD}, headers=me
        )
        confirmed = await http.post(
            f"{V1}/me/phone-changes/{started.json()['id']}/confirmation",
            json={"code": texts.code_to(ATTACKER_PHONE)},
            headers=me,
        )
        refreshed = {
            who: await http.post(
                f"{ISSUER}/token",
                data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"], "client_id": client_id},
            )
            for who, t in (("thief", thief), ("owner", owner))
        }
    assert confirmed.status_code == 200, confirmed.text
    assert refreshed["thief"].status_code == 400 and refreshed["thief"].json()["error"] == "invalid_grant"
    assert refreshed["owner"].status_code == 200, "the session that made the change goes on"
    async with idp.db.transaction() as session:
        open_sessions = (
            await session.scalars(
                sa.select(LoginSession).where(LoginSession.account_id == lisi, LoginSession.ended_at.is_(None))
            )
        ).all()
        live_refresh = await session.scalar(
            sa.select(sa.func.count())
            .select_from(RefreshToken)
            .where(RefreshToken.account_id == lisi, RefreshToken.revoked_at.is_(None), RefreshToken.used_at.is_(None))
        )
    assert len(open_sessions) == 1 and live_refresh == 1


async def test_a_reset_by_text_waits_after_a_recent_phone_change(idp: Any, texts: Texts) -> None:
    """Attack: having changed the number with a stolen session (and the password), the attacker resets the
    password by text to lock the owner out. Answer: for ``recovery_change_reset_delay_days`` the reset is
    answered exactly as for an unknown account (202 and a reset id) but no code is sent and no code
    works; after the delay a reset texts a code again."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    me = bearer(await idp.token_for(lisi))
    async with idp.http() as http:
        started = await http.post(
            f"{V1}/me/phone-changes", json={"phone": ATTACKER_PHONE, "current_password": PASSWORD}, headers=me
        )
        await http.post(
            f"{V1}/me/phone-changes/{started.json()['id']}/confirmation",
            json={"code": texts.code_to(ATTACKER_PHONE)},
            headers=me,
        )
        texts.sent.clear()
        delayed = await http.post(f"{V1}/password-resets", json={"identifier": ATTACKER_PHONE})
        unknown = await http.post(f"{V1}/password-resets", json={"identifier": "nobody-at-all"})
        guesses = [
            await http.post(
                f"{V1}/password-resets/{delayed.json()['reset_id']}/completion",
                json={"code": f"{n:06d}", "new_password": "Attacker-owns-it-9"},
            )
            for n in range(3)
        ]
        assert texts.sent == [], "no code goes out during the delay"
        async with idp.db.transaction() as session:
            account = await session.get(Account, lisi)
            assert account is not None
            account.recovery_changed_at = now() - timedelta(days=idp.settings.recovery_change_reset_delay_days + 1)
        later = await http.post(f"{V1}/password-resets", json={"identifier": ATTACKER_PHONE})
    assert delayed.status_code == unknown.status_code == 202
    assert delayed.json().keys() == unknown.json().keys() == {"reset_id"}
    assert all(g.status_code == 422 for g in guesses)
    async with idp.db.transaction() as session:
        reset = await session.get(PasswordReset, delayed.json()["reset_id"])
        assert reset is not None and reset.account_id is None and reset.used_at is None
    assert later.status_code == 202 and len(texts.to(ATTACKER_PHONE)) == 1, "after the delay a code is sent"


# ---------------------------------------------------------------- finding 10: registration enumeration


async def test_registration_does_not_tell_whether_an_id_number_has_an_account(idp: Any, texts: Texts) -> None:
    """Attack: register with someone's ID number to learn whether they have an account (it answered 409).
    Answer: the same 202 and body as a new registration; nothing is created and the existing account is
    unchanged (password, phone, name); its owner is told by text message."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    before = await account_row(idp, lisi)
    form = {"real_name": "李四", "password": "Attacker-pass-42", "phone": ATTACKER_PHONE}
    async with idp.http() as http:
        probe = await http.post(f"{V1}/citizens", json={**form, "username": "probe", "id_number": LISI_ID})
        fresh = await http.post(f"{V1}/citizens", json={**form, "username": "fresh", "id_number": "450203199203043452"})
    assert probe.status_code == fresh.status_code == 202
    assert probe.json() == fresh.json()
    after = await account_row(idp, lisi)
    assert (after.password_hash, after.phone_index, after.real_name, after.username) == (
        before.password_hash,
        before.phone_index,
        before.real_name,
        before.username,
    )
    async with idp.db.transaction() as session:
        names = set((await session.scalars(sa.select(Account.username))).all())
    assert names == {"lisi", "fresh"}
    (notice,) = texts.to(OWN_PHONE)
    assert "身份证号" in notice


# ---------------------------------------------------------------- finding 6: staff admins and privileged accounts


async def test_a_staff_admin_cannot_reset_privileged_accounts_or_their_own(idp: Any) -> None:
    """Attack: a staff admin resets the password or TOTP of a platform admin (or another staff admin) in
    their subtree, then signs in as them; or resets their own through the admin path (no re-authentication).
    Answer: 403 privileged-account / not-on-yourself, the target's password and TOTP unchanged; a platform
    admin may reset a staff admin."""
    admin, _ = await idp.staff("nn-admin", roles=("staff_admin",), region="450100")
    peer, _ = await idp.staff("nn-admin-2", roles=("staff_admin",), region="450100")
    platform, _ = await idp.staff("nn-platform", roles=("platform_admin",), region="450100")
    top, _ = await idp.staff("gx-platform", roles=("platform_admin",), region="450000")
    as_admin = bearer(await idp.token_for(admin))
    before = {a: await account_row(idp, a) for a in (admin, peer, platform)}
    async with idp.http() as http:
        answers = {
            "platform password": await http.post(f"{V1}/staff/{platform}/password-reset", headers=as_admin),
            "platform totp": await http.post(f"{V1}/staff/{platform}/totp", headers=as_admin),
            "peer password": await http.post(f"{V1}/staff/{peer}/password-reset", headers=as_admin),
            "peer totp": await http.post(f"{V1}/staff/{peer}/totp", headers=as_admin),
            "peer roles": await http.put(
                f"{V1}/staff/{peer}/roles", json={"roles": ["staff_admin", "acceptor"]}, headers=as_admin
            ),
            "own password": await http.post(f"{V1}/staff/{admin}/password-reset", headers=as_admin),
            "own totp": await http.post(f"{V1}/staff/{admin}/totp", headers=as_admin),
        }
    for what, answer in answers.items():
        slug = "not-on-yourself" if what.startswith("own") else "privileged-account"
        assert answer.status_code == 403, what
        assert answer.json()["type"].endswith(f":{slug}"), (what, answer.text)
    for account_id, was in before.items():
        now_ = await account_row(idp, account_id)
        assert (now_.password_hash, now_.totp_secret_enc, now_.roles) == (
            was.password_hash,
            was.totp_secret_enc,
            was.roles,
        )
    async with idp.http() as http:
        by_platform = await http.post(f"{V1}/staff/{peer}/password-reset", headers=bearer(await idp.token_for(top)))
    assert by_platform.status_code == 200 and by_platform.json()["temporary_password"]


async def test_everything_here_needs_its_scope(idp: Any) -> None:
    """Attack: a token without the account scopes (e.g. ``openid`` only) changes the phone or reads the
    account. Answer: 403 insufficient_scope."""
    lisi = await idp.citizen("lisi", id_number=LISI_ID, phone=OWN_PHONE, real_name="李四")
    narrow = bearer(await idp.token_for(lisi, scope="openid"))
    async with httpx.AsyncClient(transport=idp.transport, base_url=fixtures.BASE) as http:
        change = await http.post(
            f"{V1}/me/phone-changes", json={"phone": ATTACKER_PHONE, "current_password": PASSWORD}, headers=narrow
        )
        me = await http.get(f"{V1}/me", headers=narrow)
    for answer in (change, me):
        assert answer.status_code == 403 and answer.json()["type"].endswith(":insufficient-scope"), answer.text
