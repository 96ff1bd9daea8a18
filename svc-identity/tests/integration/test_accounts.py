"""Registration, verification, profile, password, sessions and logout; what the database holds; the
events published and their documented schemas."""

from __future__ import annotations

import secrets

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gov_common.messaging import outbox_event
from gov_contracts import registry
from gov_contracts.identity import UserRegistered
from identity.models import Account

from ..conftest import ISSUER, REDIRECT, Idp, form_action, hidden, query, sign_in

pytestmark = pytest.mark.postgres

V1 = "/api/identity/v1"
ID_NUMBER = "450102199001011231"  # 张三 in the synthetic population base data
PHONE = "13912345678"
ACCOUNT_SCOPES = ("identity.account.read", "identity.account.write")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def registration(**overrides: str) -> dict[str, str]:
    return {
        "username": "zhangsan",
        "real_name": "张三",
        "id_number": ID_NUMBER,
        "phone": PHONE,
        "password": "Correct-horse-42",
        **overrides,
    }


async def count_accounts(idp: Idp) -> int:
    async with idp.db.transaction() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Account)) or 0)


async def test_register_then_verify_publishes_documented_events(idp: Idp) -> None:
    async with idp.http() as http:
        created = await http.post(f"{V1}/citizens", json=registration(), headers={"Idempotency-Key": "k1"})
        replay = await http.post(f"{V1}/citizens", json=registration(), headers={"Idempotency-Key": "k1"})
        other = await http.post(
            f"{V1}/citizens", json=registration(username="someone"), headers={"Idempotency-Key": "k1"}
        )
        assert created.status_code == 202, created.text
        async with idp.db.transaction() as session:
            account_id = await session.scalar(sa.select(Account.id).where(Account.username == "zhangsan"))
        token = await idp.token_for(account_id)
        account = (await http.get(f"{V1}/me", headers=bearer(token))).json()
        verified = await http.post(f"{V1}/me/verification", headers=bearer(token))
    assert account["assurance_level"] == 1 and account["id_number_masked"] == "450*************31"
    assert account["phone_masked"] == "139****5678"
    assert (
        replay.status_code == 202
        and replay.json() == created.json()
        and replay.headers["Idempotent-Replayed"] == "true"
    )
    assert other.status_code == 409 and other.json()["type"].endswith(":idempotency-key-reused")
    assert verified.status_code == 200 and verified.json()["assurance_level"] == 2
    assert await count_accounts(idp) == 1

    async with idp.db.transaction() as session:
        rows = (await session.execute(sa.select(outbox_event).order_by(outbox_event.c.seq))).all()
    assert [r.type for r in rows] == ["identity.user.registered", "identity.user.verified"]
    for row in rows:
        assert row.topic == UserRegistered.topic and row.subject == str(account_id)
        model = registry.model_for(row.type)
        assert model is not None and model.model_validate(row.data)  # the contract, strictly
        text = str(row.data)
        assert ID_NUMBER not in text and PHONE not in text


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("id_number", "45010219900101123X", "bad-check-character"),
        ("id_number", "450102199002301239", "bad-birth-date"),
        ("id_number", "99010219900101123X", "unknown-region"),
        ("phone", "12345", "bad-phone"),
    ],
)
async def test_bad_identifiers_get_problem_json_and_change_nothing(
    idp: Idp, field: str, value: str, reason: str
) -> None:
    async with idp.http() as http:
        resp = await http.post(f"{V1}/citizens", json=registration(**{field: value}))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["type"] == "urn:gov-platform:problem:invalid-identifier"
    assert resp.json()["reason"] == reason
    assert await count_accounts(idp) == 0


async def test_weak_password_taken_user_name_and_known_id_number(idp: Idp) -> None:
    async with idp.http() as http:
        weak = await http.post(f"{V1}/citizens", json=registration(password="123456"))
        first = await http.post(f"{V1}/citizens", json=registration())
        taken = await http.post(f"{V1}/citizens", json=registration(id_number="450102198506152342"))
        dup = await http.post(f"{V1}/citizens", json=registration(username="another", id_number=ID_NUMBER.lower()))
    assert weak.status_code == 422 and weak.json()["type"].endswith(":weak-password")
    assert first.status_code == 202
    assert taken.status_code == 409 and taken.json()["type"].endswith(":username-taken")
    # A known ID number is answered like a new one (tests/security/test_account_takeover.py has the attack).
    assert dup.status_code == 202 and dup.json() == first.json()
    assert await count_accounts(idp) == 1


async def test_verification_fails_when_base_data_disagree(idp: Idp) -> None:
    account = await idp.citizen("fake", id_number=ID_NUMBER, phone=PHONE, real_name="冒名者")
    async with idp.http() as http:
        resp = await http.post(f"{V1}/me/verification", headers=bearer(await idp.token_for(account)))
        me = await http.get(f"{V1}/me", headers=bearer(await idp.token_for(account)))
    assert resp.status_code == 422 and resp.json()["type"].endswith(":verification-failed")
    assert me.json()["assurance_level"] == 1


async def test_the_database_holds_no_id_number_or_phone_in_plain_text(idp: Idp) -> None:
    await idp.citizen("zhangsan", id_number=ID_NUMBER, phone=PHONE)
    async with idp.http() as browser:  # sign in by ID number and by phone: both found through the keyed hash
        client_id, _ = await idp.client()
        url = f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=openid&code_challenge={'a' * 43}&code_challenge_method=S256"
        by_id = await sign_in(browser, url, username=ID_NUMBER)
    async with idp.http() as browser:
        by_phone = await sign_in(browser, url, username=PHONE)
    assert "code" in query(by_id.headers["location"]) and "code" in query(by_phone.headers["location"])

    dsn = make_url(idp.settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        dump = []
        for table in tables:
            for row in await conn.fetch(f'SELECT * FROM "{table}"'):
                for value in row.values():
                    dump.append(value.decode("latin-1") if isinstance(value, bytes) else str(value))
    finally:
        await conn.close()
    everything = "\n".join(dump)
    assert "zhangsan" in everything, "the dump does see the data"
    for secret_value in (ID_NUMBER, PHONE, ID_NUMBER[6:14]):
        assert secret_value not in everything


async def test_sessions_list_sign_out_and_password_change(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client(scopes=ACCOUNT_SCOPES)
    url = f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=openid+{'+'.join(ACCOUNT_SCOPES)}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    tokens = []
    for _ in range(2):
        async with idp.http() as browser:
            done = await sign_in(browser, url, username="lisi")
            form = {
                "grant_type": "authorization_code",
                "code": query(done.headers["location"])["code"],
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": verifier,
            }
            tokens.append((await browser.post(f"{ISSUER}/token", data=form)).json())
    me = bearer(tokens[0]["access_token"])
    async with idp.http() as http:
        listed = await http.get(f"{V1}/me/sessions?limit=1", headers=me)
        page2 = await http.get(f"{V1}/me/sessions?limit=1&cursor={listed.json()['next_cursor']}", headers=me)
        sessions = listed.json()["items"] + page2.json()["items"]
        assert len(sessions) == 2
        stranger = await idp.token_for(await idp.citizen("wangwu", id_number="450203199203043452", phone="13800000003"))
        foreign = await http.delete(f"{V1}/me/sessions/{sessions[0]['id']}", headers=bearer(stranger))
        ended = await http.delete(f"{V1}/me/sessions/{sessions[0]['id']}", headers=me)
        after = (await http.get(f"{V1}/me/sessions", headers=me)).json()["items"]
        wrong = await http.post(
            f"{V1}/me/password",
            json={"current_password": "nope-nope-1", "new_password": "Another-horse-43"},
            headers=me,
        )
        changed = await http.post(
            f"{V1}/me/password",
            json={"current_password": "Correct-horse-42", "new_password": "Another-horse-43"},
            headers=me,
        )
        refresh = [
            await http.post(
                f"{ISSUER}/token",
                data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"], "client_id": client_id},
            )
            for t in tokens
        ]
        system = await http.get(f"{V1}/me", headers=bearer(await system_token(idp)))
    assert foreign.status_code == 404
    assert ended.status_code == 204 and [s["id"] for s in after] == [sessions[1]["id"]]
    assert wrong.status_code == 403 and wrong.json()["type"].endswith(":reauthentication-failed")
    assert changed.status_code == 204
    assert all(r.json()["error"] == "invalid_grant" for r in refresh), "signed-out sessions lose their refresh tokens"
    assert system.status_code == 403


async def system_token(idp: Idp) -> str:
    client_id, secret = await idp.client(
        auth_method="client_secret_basic", grant_types=("client_credentials",), scopes=("exchange.catalog.read",)
    )
    async with idp.http() as http:
        return (
            await http.post(
                f"{ISSUER}/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret or "")
            )
        ).json()["access_token"]


async def test_in_person_verification_by_hall_staff(idp: Idp) -> None:
    citizen = await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    acceptor, _ = await idp.staff("nn-acceptor", roles=("acceptor",))
    async with idp.http() as http:
        by_citizen = await http.post(
            f"{V1}/accounts/{citizen}/in-person-verification", headers=bearer(await idp.token_for(citizen))
        )
        by_staff = await http.post(
            f"{V1}/accounts/{citizen}/in-person-verification", headers=bearer(await idp.token_for(acceptor))
        )
    assert by_citizen.status_code == 403
    assert by_staff.status_code == 200 and by_staff.json()["assurance_level"] == 3


async def test_logout_ends_the_single_sign_on_session(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client(post_logout=("https://rp.test/bye",))
    url = f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=openid&code_challenge={'b' * 43}&code_challenge_method=S256"
    async with idp.http() as browser:
        await sign_in(browser, url, username="lisi")
        silent = await browser.get(url + "&prompt=none&state=" + secrets.token_hex(2))
        assert "code" in query(silent.headers["location"]), "single sign-on: no second login"
        # Without an id_token_hint of this session the person confirms (a POST with the page's CSRF token).
        ask = await browser.get(
            f"{ISSUER}/logout?client_id={client_id}&post_logout_redirect_uri=https://rp.test/bye&state=z"
        )
        assert ask.status_code == 200 and 'name="csrf"' in ask.text
        confirm = {k: hidden(ask.text, k) for k in ("csrf", "client_id", "post_logout_redirect_uri", "state")}
        out = await browser.post(form_action(ask.text), data=confirm)
        after = await browser.get(url + "&prompt=none")
    assert out.status_code == 303 and out.headers["location"].startswith("https://rp.test/bye?state=z")
    assert query(after.headers["location"])["error"] == "login_required"
