"""Issue 15, finding 2 (scopes mean nothing for people's tokens), the TOTP half of finding 6 and the
identity items of finding 10 (refresh outliving the sign-in session, loopback redirect URIs, logout by an
expired or foreign hint, revoked tokens and ended sessions invisible to offline verifiers).

These are attacks on identity's own rules, so identity runs in-process on PostgreSQL behind a
gateway-like mount at ``/api/identity`` (svc-identity's test fixtures); each test is one attack and the
platform's answer."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import httpx
import identity_test_fixtures as fixtures
import pyotp
import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from gov_common.db import Database
from gov_common.migrations import upgrade
from gov_common.scopes import CATALOGUE, CONSENT_TEXT, OIDC, PERSON, STAFF
from identity.main import SPEC
from identity.models import Consent, LoginSession, LoginThrottle, OAuthClient, RefreshToken
from identity.oidc.throttle import totp_key

Idp, ISSUER, REDIRECT, PASSWORD = fixtures.Idp, fixtures.ISSUER, fixtures.REDIRECT, fixtures.PASSWORD
form_action, hidden, query, sign_in = fixtures.form_action, fixtures.hidden, fixtures.query, fixtures.sign_in

pytestmark = pytest.mark.postgres

# RFC 7636 appendix B: a verifier and its S256 challenge.
VERIFIER, CHALLENGE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
LISI_ID, WANGWU_ID = "450102198506152342", "450203199203043452"
OIDC_ONLY = sorted(OIDC)


def authorize(client_id: str, scope: str, **extra: str) -> str:
    params = "".join(f"&{k}={v}" for k, v in extra.items())
    return (
        f"{ISSUER}/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}"
        f"&scope={scope.replace(' ', '%20')}&state={secrets.token_hex(4)}&nonce=n"
        f"&code_challenge={CHALLENGE}&code_challenge_method=S256{params}"
    )


async def exchange(http: httpx.AsyncClient, client_id: str, done: httpx.Response) -> httpx.Response:
    assert done.status_code == 303, done.text
    code = query(done.headers["location"])["code"]
    return await http.post(
        f"{ISSUER}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "code_verifier": VERIFIER,
        },
    )


async def tokens(
    idp: Any, browser: httpx.AsyncClient, client_id: str, scope: str, username: str, **sign_in_options: Any
) -> dict[str, Any]:
    """Sign in through the HTML pages and redeem the code: the token response."""
    done = await sign_in(browser, authorize(client_id, scope), username=username, **sign_in_options)
    answer = await exchange(browser, client_id, done)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def claims_of(idp: Any, token: str) -> dict[str, Any]:
    async with idp.http() as http:
        keys = KeySet.import_key_set((await http.get(f"{ISSUER}/.well-known/jwks.json")).json())
    return dict(jwt.decode(token, keys).claims)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- finding 2: what a person's token carries


async def test_discovery_documents_the_scope_catalogue(idp: Any) -> None:
    """A client reads discovery to learn which scopes exist: it lists the OIDC scopes and every catalogue
    scope, in the one form ``<service>.<resource>.<action>``, and no retired name."""
    async with idp.http() as http:
        meta = (await http.get(f"{ISSUER}/.well-known/openid-configuration")).json()
    assert set(meta["scopes_supported"]) == set(OIDC) | set(CATALOGUE)
    assert not [s for s in meta["scopes_supported"] if ":" in s]


async def test_a_client_registered_for_openid_profile_gets_no_platform_scope(idp: Any) -> None:
    """Attack: a third-party client registered with ``openid profile`` only asks a platform admin's sign-in
    for an API scope, then calls a platform API with the token. Answer: the request for the API scope is
    refused (invalid_scope); the token it can get carries ``openid profile`` only, and the API answers 403
    insufficient_scope (problem+json, WWW-Authenticate)."""
    _admin, secret = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    client_id, _ = await idp.client(scopes=("openid", "profile"), first_party=False, account_kinds=("staff",))
    async with idp.http() as browser:
        asked = await sign_in(
            browser,
            authorize(client_id, "openid profile identity.staff.admin"),
            username="gx-admin",
            totp_secret=secret,
        )
        assert asked.status_code == 303 and query(asked.headers["location"])["error"] == "invalid_scope"
        got = await tokens(idp, browser, client_id, "openid profile", "gx-admin", totp_secret=secret)
        listed = await browser.get("/api/identity/v1/clients", headers=bearer(got["access_token"]))
    assert got["scope"] == "openid profile"
    assert (await claims_of(idp, got["access_token"]))["scope"] == "openid profile"
    assert listed.status_code == 403 and listed.headers["content-type"].startswith("application/problem+json")
    assert "insufficient_scope" in listed.headers["www-authenticate"]


async def test_a_first_party_token_carries_only_what_was_asked_and_consent_is_recorded(idp: Any) -> None:
    """Attack (the portal today): a token of the first-party portal asked with ``scope=openid`` reads the
    citizen's wallet, applications and orders. Answer: it carries ``openid`` and nothing else; the
    pre-consent of the first-party client is recorded (basis first_party, with its time)."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002", level=2)
    portal, _ = await idp.client(scopes=(*sorted(PERSON), *OIDC_ONLY), first_party=True)
    async with idp.http() as browser:
        narrow = await tokens(idp, browser, portal, "openid", "lisi")
        wider = await tokens(idp, browser, portal, "openid application.applications.read", "lisi")
    assert (await claims_of(idp, narrow["access_token"]))["scope"] == "openid"
    assert (await claims_of(idp, wider["access_token"]))["scope"] == "openid application.applications.read"
    async with idp.db.transaction() as session:
        consent = await session.scalar(sa.select(Consent).where(Consent.client_id == portal))
    assert consent is not None and consent.basis == "first_party" and consent.granted_at is not None
    assert consent.scopes == ["application.applications.read", "openid"]


async def test_staff_get_no_platform_scope_through_the_citizens_portal(idp: Any) -> None:
    """Attack: a staff member signs in through the citizens' portal and asks for its scopes (several of
    which staff hold through the workbench). Answer: signed in, but the token carries OIDC scopes only."""
    _staff, secret = await idp.staff("nn-acceptor", roles=("acceptor",))
    portal, _ = await idp.client(scopes=(*sorted(PERSON), *OIDC_ONLY), account_kinds=("citizen",))
    scope = "openid application.applications.read workflow.cases.read identity.account.read"
    async with idp.http() as browser:
        got = await tokens(idp, browser, portal, scope, "nn-acceptor", totp_secret=secret)
    assert got["scope"] == "openid"
    assert (await claims_of(idp, got["access_token"]))["scope"] == "openid"


async def test_citizens_cannot_sign_in_through_the_staff_workbench(idp: Any) -> None:
    """Attack: a citizen signs in through the staff workbench client. Answer: access_denied, no code."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    workbench, _ = await idp.client(scopes=(*sorted(STAFF), *OIDC_ONLY), account_kinds=("staff",))
    async with idp.http() as browser:
        done = await sign_in(browser, authorize(workbench, "openid workflow.cases.read"), username="lisi")
    assert done.status_code == 303
    assert query(done.headers["location"])["error"] == "access_denied"
    assert "code" not in query(done.headers["location"])


async def test_the_workbench_gives_staff_every_staff_scope_they_ask_for(idp: Any) -> None:
    """Not an attack, the other side of the rule: a staff sign-in through the workbench asking for every
    staff scope gets all of them, codes and refresh tokens included (the scope once outgrew its column and
    the sign-in failed with 500)."""
    _staff, secret = await idp.staff("nn-acceptor", roles=("acceptor",))
    workbench, _ = await idp.client(scopes=(*sorted(STAFF), *OIDC_ONLY), account_kinds=("staff",))
    wanted = " ".join(["openid", "offline_access", *sorted(STAFF)])
    async with idp.http() as browser:
        got = await tokens(idp, browser, workbench, wanted, "nn-acceptor", totp_secret=secret)
    assert set(got["scope"].split()) == set(wanted.split())
    assert got.get("refresh_token")


async def test_a_citizen_never_gets_a_staff_scope(idp: Any) -> None:
    """Attack: a client serving citizens and staff, registered for staff scopes too, asks a citizen's
    sign-in for ``identity.staff.admin``. Answer: the token leaves it out (citizens hold PERSON scopes)."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    both, _ = await idp.client(scopes=(*sorted(STAFF | PERSON), "openid"), account_kinds=("citizen", "staff"))
    async with idp.http() as browser:
        got = await tokens(idp, browser, both, "openid identity.staff.admin application.applications.read", "lisi")
    assert got["scope"] == "openid application.applications.read"


async def test_third_party_consent_lists_each_scope_and_bounds_the_token(idp: Any) -> None:
    """Attack: a third-party client gets a token for scopes the person never saw. Answer: the consent page
    lists each scope with the catalogue's description; the token carries only what was consented, and a
    wider request asks again."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    third, _ = await idp.client(
        scopes=("openid", "application.applications.read", "payment.orders.read"), first_party=False
    )
    async with idp.http() as browser:
        page = await browser.get(authorize(third, "openid application.applications.read"))
        consent = await browser.post(
            form_action(page.text), data={"request_id": hidden(page.text), "username": "lisi", "password": PASSWORD}
        )
        assert 'name="decision"' in consent.text
        assert escape(CONSENT_TEXT["application.applications.read"]) in consent.text
        assert CONSENT_TEXT["payment.orders.read"] not in consent.text
        done = await browser.post(
            form_action(consent.text), data={"request_id": hidden(consent.text), "decision": "allow"}
        )
        got = (await exchange(browser, third, done)).json()
        wider = await browser.get(authorize(third, "openid application.applications.read payment.orders.read"))
    assert got["scope"] == "openid application.applications.read"
    assert 'name="decision"' in wider.text and CONSENT_TEXT["payment.orders.read"] in wider.text
    async with idp.db.transaction() as session:
        row = await session.scalar(sa.select(Consent).where(Consent.client_id == third))
    assert row is not None and row.basis == "consent" and row.scopes == ["application.applications.read", "openid"]


async def test_client_registration_refuses_scopes_a_client_may_not_hold(idp: Any) -> None:
    """Attack: a platform admin registers a browser client for a system-only scope, a public client for
    staff scopes while serving citizens, or a retired/unknown scope name. Answer: 422 problem+json naming
    each problem, and no client is stored."""
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    browser_client = {
        "name": "RP",
        "auth_method": "none",
        "grant_types": ["authorization_code"],
        "redirect_uris": ["https://rp.test/cb"],
    }
    attempts = [
        {**browser_client, "scopes": ["openid", "exchange.cases.write"]},  # system-only
        {**browser_client, "scopes": ["openid", "identity.staff.admin"]},  # staff scope, citizens served
        {**browser_client, "scopes": ["application:read"]},  # a retired name
        {**browser_client, "scopes": ["openid"], "account_kinds": ["system"]},
    ]
    async with idp.http() as http:
        answers = [
            await http.post("/api/identity/v1/clients", json=body, headers=bearer(await idp.token_for(admin)))
            for body in attempts
        ]
        ok = await http.post(
            "/api/identity/v1/clients",
            json={**browser_client, "scopes": ["openid", "identity.staff.admin"], "account_kinds": ["staff"]},
            headers=bearer(await idp.token_for(admin)),
        )
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert "exchange.cases.write" in answers[0].json()["detail"]
    assert "identity.staff.admin" in answers[1].json()["detail"]
    assert "application:read" in answers[2].json()["detail"]
    assert ok.status_code == 201 and ok.json()["account_kinds"] == ["staff"]
    async with idp.db.transaction() as session:
        stored = (await session.scalars(sa.select(OAuthClient.client_id))).all()
    assert stored == [ok.json()["client_id"]]


# ---------------------------------------------------------------- finding 10: redirect URIs


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1.evil.com/cb",
        "http://localhost.evil.com/cb",
        "http://127.0.0.1@evil.com/cb",
        "https://user:pw@rp.test/cb",
        "https://rp.test/cb#fragment",
        "http://rp.test/cb",
        "javascript://127.0.0.1/%0aalert(1)",
        "http://127.0.0.1:99999/cb",
        "https://rp.test\\@evil.com/cb",
    ],
)
async def test_a_redirect_uri_that_only_looks_like_loopback_is_refused(idp: Any, uri: str) -> None:
    """Attack: register a redirect URI that passes a prefix check for loopback (or smuggles user info, a
    fragment, plain http to a remote host). Answer: 422, nothing stored."""
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    body = {"name": "RP", "auth_method": "none", "grant_types": ["authorization_code"], "redirect_uris": [uri]}
    async with idp.http() as http:
        answer = await http.post("/api/identity/v1/clients", json=body, headers=bearer(await idp.token_for(admin)))
    assert answer.status_code == 422, answer.text
    async with idp.db.transaction() as session:
        assert (await session.scalar(sa.select(sa.func.count()).select_from(OAuthClient))) == 0


async def test_loopback_and_https_redirect_uris_are_accepted(idp: Any) -> None:
    """The legitimate forms still register: https anywhere, http to 127.0.0.1, [::1] or localhost on any port."""
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    uris = ["https://rp.test/cb", "http://127.0.0.1:8081/callback", "http://[::1]:9000/cb", "http://localhost/cb"]
    body = {"name": "RP", "auth_method": "none", "grant_types": ["authorization_code"], "redirect_uris": uris}
    async with idp.http() as http:
        answer = await http.post("/api/identity/v1/clients", json=body, headers=bearer(await idp.token_for(admin)))
    assert answer.status_code == 201, answer.text
    assert answer.json()["redirect_uris"] == uris


# ---------------------------------------------------------------- finding 6: TOTP lockout


def wrong_code(secret: str) -> str:
    """A six-digit code valid for none of the steps identity accepts now."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.now(UTC))
    valid = {totp.generate_otp(s) for s in (step - 1, step, step + 1)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in valid)


async def test_totp_guessing_locks_even_with_the_right_password(idp: Any) -> None:
    """Attack: the attacker knows a staff member's password and guesses TOTP codes, signing in with the
    password again before each guess (a right password used to reset the shared counter). Answer: the
    second factor's own counter locks (429) after the threshold; the password step is locked too, and
    the right code does not help while locked."""
    staff, secret = await idp.staff("nn-reviewer", roles=("reviewer",))
    client_id, _ = await idp.client()
    threshold = idp.settings.lockout_account_threshold
    statuses = []
    for _ in range(threshold + 1):
        async with idp.http() as browser:
            page = await browser.get(authorize(client_id, "openid"))
            step = await browser.post(
                form_action(page.text),
                data={"request_id": hidden(page.text), "username": "nn-reviewer", "password": PASSWORD},
            )
            if step.status_code != 200:
                statuses.append(step.status_code)
                continue
            guess = await browser.post(
                form_action(step.text), data={"request_id": hidden(step.text), "code": wrong_code(secret)}
            )
            statuses.append(guess.status_code)
    assert statuses[:threshold] == [401] * threshold
    assert statuses[threshold] == 429, statuses
    async with idp.db.transaction() as session:
        row = await session.get(LoginThrottle, totp_key(staff))
    assert row is not None and row.failures == threshold and row.locked_until is not None
    async with idp.http() as browser:
        right = await sign_in(browser, authorize(client_id, "openid"), username="nn-reviewer", totp_secret=secret)
    assert right.status_code == 429 and "location" not in right.headers


# ---------------------------------------------------------------- finding 10: refresh and the SSO session


async def test_refresh_fails_once_the_sign_in_session_ended_or_expired(idp: Any) -> None:
    """Attack: keep refreshing for 30 days with a refresh token whose sign-in session (8 hours) expired,
    or was ended by logout. Answer: invalid_grant; and a refresh token never outlives its session."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    client_id, _ = await idp.client()
    form = {"grant_type": "refresh_token", "client_id": client_id}
    async with idp.http() as browser:
        first = await tokens(idp, browser, client_id, "openid", "lisi")
    async with idp.db.transaction() as session:
        rows = (await session.scalars(sa.select(RefreshToken))).all()
        sso = await session.get(LoginSession, uuid.UUID((await claims_of(idp, first["access_token"]))["sid"]))
        assert sso is not None and rows and all(r.expires_at <= sso.expires_at for r in rows)
        sso.expires_at = datetime.now(UTC) - timedelta(seconds=1)  # 8 hours later
    async with idp.http() as http:
        expired = await http.post(f"{ISSUER}/token", data={**form, "refresh_token": first["refresh_token"]})
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"

    async with idp.http() as browser:
        second = await tokens(idp, browser, client_id, "openid", "lisi")
        out = await browser.get(f"{ISSUER}/logout", params={"id_token_hint": second["id_token"]})
        assert out.status_code == 200 and "csrf" not in out.text, "a fresh hint of this session signs out"
        ended = await browser.post(f"{ISSUER}/token", data={**form, "refresh_token": second["refresh_token"]})
    assert ended.status_code == 400 and ended.json()["error"] == "invalid_grant"


# ---------------------------------------------------------------- finding 10: logout


async def expired_id_token(idp: Any, fresh: str) -> str:
    """The same ID token as if it had been issued a day ago (signed by identity's own key)."""
    claims = await claims_of(idp, fresh)
    claims.update(iat=int(time.time()) - 86400, exp=int(time.time()) - 86400 + 600)
    async with idp.db.transaction() as session:
        return str(await idp.identity.keys.sign(session, claims, typ="JWT"))


async def still_signed_in(browser: httpx.AsyncClient, client_id: str) -> bool:
    silent = await browser.get(authorize(client_id, "openid", prompt="none"))
    return "code" in query(silent.headers["location"])


async def test_an_expired_or_foreign_hint_does_not_log_out_without_confirmation(idp: Any) -> None:
    """Attack: a page on another site sends the victim's browser to ``GET /logout`` with an expired
    id_token_hint (found in a log or a referrer), or with the attacker's own fresh hint, and a
    post_logout_redirect_uri of the attacker's. Answer: a confirmation page (POST form with a CSRF token),
    the victim stays signed in, and the attacker's session is not ended either; a POST without the CSRF
    token asks again."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    await idp.citizen("wangwu", id_number=WANGWU_ID, phone="13800000003")
    client_id, _ = await idp.client(post_logout=("https://rp.test/bye",))
    async with idp.http() as victim, idp.http() as attacker:
        mine = await tokens(idp, victim, client_id, "openid", "lisi")
        theirs = await tokens(idp, attacker, client_id, "openid", "wangwu")
        stale = await expired_id_token(idp, mine["id_token"])
        answers = [
            await victim.get(
                f"{ISSUER}/logout",
                params={"id_token_hint": hint, "post_logout_redirect_uri": "https://evil.test/"},
            )
            for hint in (stale, theirs["id_token"])
        ]
        forged_post = await victim.post(f"{ISSUER}/logout", data={"csrf": "guess", "id_token_hint": stale})
        assert await still_signed_in(victim, client_id), "the victim is still signed in"
        assert await still_signed_in(attacker, client_id), "a foreign hint ends nobody's session"
        confirmed = await victim.post(
            form_action(answers[0].text), data={"csrf": hidden(answers[0].text, "csrf"), "id_token_hint": stale}
        )
        signed_out = not await still_signed_in(victim, client_id)
    for answer in [*answers, forged_post]:
        assert answer.status_code == 200 and 'name="csrf"' in answer.text, answer.text
        assert "evil.test" not in answer.text and "location" not in answer.headers
    assert confirmed.status_code == 200 and signed_out, "the person's own confirmation signs out"


async def test_logout_redirects_only_to_the_hint_clients_registered_uri(idp: Any) -> None:
    """Attack: a fresh hint of the session with a post_logout_redirect_uri that another client registered
    (or nobody did). Answer: signed out, but no redirect there; the client's own registered URI works."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    client_id, _ = await idp.client(post_logout=("https://rp.test/bye",))
    await idp.client(post_logout=("https://other-rp.test/bye",))
    async with idp.http() as browser:
        got = await tokens(idp, browser, client_id, "openid", "lisi")
        foreign = await browser.get(
            f"{ISSUER}/logout",
            params={"id_token_hint": got["id_token"], "post_logout_redirect_uri": "https://other-rp.test/bye"},
        )
        again = await tokens(idp, browser, client_id, "openid", "lisi")
        own = await browser.get(
            f"{ISSUER}/logout",
            params={
                "id_token_hint": again["id_token"],
                "post_logout_redirect_uri": "https://rp.test/bye",
                "state": "z",
            },
        )
    assert foreign.status_code == 200 and "location" not in foreign.headers
    assert own.status_code == 303 and own.headers["location"].startswith("https://rp.test/bye?state=z")


# ---------------------------------------------------------------- finding 10: revocation seen by verifiers


async def test_revoked_tokens_and_ended_sessions_are_published_for_offline_verifiers(idp: Any) -> None:
    """Attack: keep using an access token after it was revoked, or after its sign-in session was ended by
    logout, at a service that verifies tokens offline. Answer: identity's public ``GET /v1/revocations``
    (no token needed) lists the token's jti and the session's sid (every person's access token carries
    its sid), and identity itself (userinfo) refuses both tokens."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002")
    client_id, _ = await idp.client()
    async with idp.http() as browser:
        revoked = await tokens(idp, browser, client_id, "openid", "lisi")
        answer = await browser.post(f"{ISSUER}/revoke", data={"token": revoked["access_token"], "client_id": client_id})
        assert answer.status_code == 200
    async with idp.http() as browser:
        ended = await tokens(idp, browser, client_id, "openid", "lisi")
        await browser.get(f"{ISSUER}/logout", params={"id_token_hint": ended["id_token"]})
    async with idp.http() as anyone:
        listed = await anyone.get(f"{ISSUER}/v1/revocations")
        info = [await anyone.get(f"{ISSUER}/userinfo", headers=bearer(t["access_token"])) for t in (revoked, ended)]
    jti = (await claims_of(idp, revoked["access_token"]))["jti"]
    sid = (await claims_of(idp, ended["access_token"]))["sid"]
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert jti in body["jtis"] and sid in body["sids"]
    assert abs(body["until"] - time.time()) < 60
    assert [i.status_code for i in info] == [401, 401]


async def test_identitys_own_apis_refuse_a_token_of_an_ended_session(idp: Any) -> None:
    """Attack: a platform admin's access token, copied before the admin signed out, administers clients
    afterwards. Answer: 401 once the session is ended (identity checks its own revocation list too)."""
    _admin, secret = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    workbench, _ = await idp.client(scopes=("openid", "identity.staff.admin"), account_kinds=("staff",))
    async with idp.http() as browser:
        got = await tokens(idp, browser, workbench, "openid identity.staff.admin", "gx-admin", totp_secret=secret)
        before = await browser.get("/api/identity/v1/clients", headers=bearer(got["access_token"]))
        await browser.get(f"{ISSUER}/logout", params={"id_token_hint": got["id_token"]})
    await asyncio.sleep(2.1)  # identity re-reads its revocation list at most every 2 s
    async with idp.http() as attacker:
        after = await attacker.get("/api/identity/v1/clients", headers=bearer(got["access_token"]))
    assert before.status_code == 200, before.text
    assert after.status_code == 401, after.text


# ---------------------------------------------------------------- the retired scope names in stored data


async def test_the_migration_renames_retired_scope_names(pg_url: str) -> None:
    """Stored scopes under retired names (``application:submit``, ``license:use``, ``catalog:read``...)
    would be dead grants after the catalogue: identity_0006 renames them in clients, agent grants,
    consents and refresh tokens, and drops names with no successor."""
    db = Database(pg_url)
    try:
        await upgrade(db, SPEC.migrations_dir, "identity_0005")
        account, enterprise = uuid.uuid4(), uuid.uuid4()
        async with db.transaction() as session:
            await session.execute(
                sa.text(
                    "INSERT INTO account (id, kind, username, password_hash, real_name, assurance_level, roles,"
                    " disabled, created_at, updated_at) VALUES (:id, 'citizen', 'u', 'h', 'n', 2, '[]', false,"
                    " now(), now())"
                ),
                {"id": account},
            )
            await session.execute(
                sa.text(
                    "INSERT INTO oauth_client (client_id, name, auth_method, redirect_uris,"
                    " post_logout_redirect_uris, grant_types, scopes, first_party, disabled, created_at) VALUES"
                    " ('city', 'c', 'client_secret_basic', '[]', '[]', '[\"client_credentials\"]',"
                    ' \'["application:read", "catalog:read", "exchange.webhooks"]\', false, false, now()),'
                    " ('rp', 'r', 'none', '[]', '[]', '[\"authorization_code\"]',"
                    ' \'["application:submit", "application:write", "license:read"]\', true, false, now())'
                )
            )
            await session.execute(
                sa.text(
                    "INSERT INTO enterprise (id, name, credit_code, representative_id, created_at)"
                    " VALUES (:e, 'e', '91450100MA5P0E2X0K', :a, now())"
                ),
                {"e": enterprise, "a": account},
            )
            await session.execute(
                sa.text(
                    "INSERT INTO agent_grant (id, enterprise_id, agent_id, scopes, expires_at, granted_by, created_at)"
                    ' VALUES (:g, :e, :a, \'["license:use", "payment:pay", "evaluation:write"]\', now(), :a, now())'
                ),
                {"g": uuid.uuid4(), "e": enterprise, "a": account},
            )
            await session.execute(
                sa.text(
                    "INSERT INTO consent (account_id, client_id, scopes, granted_at)"
                    " VALUES (:a, 'rp', '[\"openid\", \"evaluation.read\"]', now())"
                ),
                {"a": account},
            )
        await upgrade(db, SPEC.migrations_dir)
        async with db.transaction() as session:
            clients = dict((await session.execute(sa.text("SELECT client_id, scopes FROM oauth_client"))).all())
            kinds = dict((await session.execute(sa.text("SELECT client_id, account_kinds FROM oauth_client"))).all())
            grant = await session.scalar(sa.text("SELECT scopes FROM agent_grant"))
            consent = (await session.execute(sa.text("SELECT scopes, basis FROM consent"))).one()
    finally:
        await db.dispose()
    assert clients == {
        "city": ["application.applications.read", "exchange.webhooks.manage"],
        "rp": ["application.applications.write", "certificates.licenses.read"],
    }
    assert kinds == {"city": [], "rp": ["citizen"]}
    assert grant == ["certificates.licenses.share", "payment.orders.pay", "evaluation.ratings.write"]
    assert consent == (["openid", "evaluation.ratings.read"], "consent")


async def test_userinfo_needs_openid(idp: Any) -> None:
    """Attack: a client that was given an API scope but not ``openid`` reads the person's name and ID digits
    from userinfo. Answer: RFC 6750 invalid_token; with ``openid`` (and ``profile``) the claims come."""
    await idp.citizen("lisi", id_number=LISI_ID, phone="13800000002", level=2)
    portal, _ = await idp.client(scopes=(*sorted(PERSON), *OIDC_ONLY), first_party=True)
    async with idp.http() as browser:
        api_only = await tokens(idp, browser, portal, "application.applications.read", "lisi")
        refused = await browser.get(f"{ISSUER}/userinfo", headers=bearer(api_only["access_token"]))
        oidc = await tokens(idp, browser, portal, "openid profile", "lisi")
        answered = await browser.get(f"{ISSUER}/userinfo", headers=bearer(oidc["access_token"]))
    assert refused.status_code == 401 and "invalid_token" in refused.headers["www-authenticate"]
    assert "name" not in refused.text
    assert answered.status_code == 200 and answered.json()["preferred_username"] == "lisi"
