"""The authorization code flow with PKCE, driven by a standard OIDC client library (authlib) acting as a
relying party against the real app on PostgreSQL, through a gateway-like mount at /api/identity."""

from __future__ import annotations

import secrets

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet

from gov_common.auth import JWKSCache, TokenVerifier
from identity.basedata import SYNTHETIC_RESIDENTS

from ..conftest import ISSUER, REDIRECT, Idp, query, sign_in

pytestmark = pytest.mark.postgres

ZHANGSAN_ID = "450102199001011231"


async def discover(idp: Idp) -> dict:
    async with idp.http() as http:
        resp = await http.get("/api/identity/.well-known/openid-configuration")
    assert resp.status_code == 200
    return resp.json()


async def test_discovery_names_every_endpoint_under_the_issuer(idp: Idp) -> None:
    meta = await discover(idp)
    assert meta["issuer"] == ISSUER
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ):
        assert meta[name].startswith(ISSUER + "/"), name
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "private_key_jwt"} <= set(meta["token_endpoint_auth_methods_supported"])


async def test_code_flow_with_pkce_through_a_standard_relying_party(idp: Idp) -> None:
    await idp.citizen(
        "zhangsan", id_number=ZHANGSAN_ID, phone="13800000001", real_name=SYNTHETIC_RESIDENTS[ZHANGSAN_ID], level=2
    )
    client_id, _ = await idp.client(scopes=("application.applications.write",))
    meta = await discover(idp)

    rp = AsyncOAuth2Client(
        client_id,
        token_endpoint_auth_method="none",
        redirect_uri=REDIRECT,
        scope="openid profile phone application.applications.write",
        code_challenge_method="S256",
        transport=idp.transport,
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    assert "code_challenge=" in url and "code_challenge_method=S256" in url

    async with idp.http() as browser:
        login_page = await browser.get(url)
        assert login_page.status_code == 200
        assert '<form method="post"' in login_page.text, "a plain form: works without JavaScript"
        assert "<script>" not in login_page.text, "no inline script (the page's only script is deferred, local)"
        done = await sign_in(browser, url, username="zhangsan")
    assert done.status_code == 303
    callback = done.headers["location"]
    assert callback.startswith(REDIRECT)
    assert query(callback)["state"] == state and query(callback)["iss"] == ISSUER

    token = await rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert token["token_type"].lower() == "bearer" and token["refresh_token"]

    # The id_token: signature against the published JWKS, then the OIDC claim checks of the RP library.
    async with idp.http() as http:
        keys = KeySet.import_key_set((await http.get(meta["jwks_uri"])).json())
    decoded = jwt.decode(token["id_token"], keys)
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={"iss": {"essential": True, "value": ISSUER}, "aud": {"essential": True, "value": client_id}},
        params={"nonce": nonce, "client_id": client_id},
    )
    claims.validate(leeway=5)  # nonce, audience, issuer, expiry, at_hash
    assert claims["acr"] == "2"

    wrong_nonce = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={"aud": {"essential": True, "value": client_id}},
        params={"nonce": "other"},
    )
    with pytest.raises(InvalidClaimError):
        wrong_nonce.validate()
    wrong_audience = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={"aud": {"essential": True, "value": "someone-else"}},
        params={"nonce": nonce},
    )
    with pytest.raises(InvalidClaimError):
        wrong_audience.validate()

    # The access token satisfies the platform contract that every other service verifies.
    jwks_client = httpx.AsyncClient(transport=idp.transport, base_url="http://gov.test")
    verifier_ = TokenVerifier(JWKSCache(meta["jwks_uri"], client=jwks_client), issuer=ISSUER, audience="gov-platform")
    principal = await verifier_.verify(token["access_token"])
    await jwks_client.aclose()
    assert principal.kind == "citizen" and principal.assurance_level == 2
    assert principal.scopes == {"openid", "profile", "phone", "application.applications.write"}
    assert principal.client_id == client_id
    header = jwt.decode(token["access_token"], keys).header
    assert header["typ"] == "at+jwt" and header["kid"]

    info = await rp.get(meta["userinfo_endpoint"])
    assert info.status_code == 200
    body = info.json()
    assert body["sub"] == claims["sub"] == principal.subject
    assert body["name"] == "张三" and body["phone_number"] == "+8613800000001"
    assert body["id_number_masked"] == "450*************31"
    await rp.aclose()


async def test_pkce_is_mandatory_and_s256_only(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client()
    base = f"/api/identity/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=openid&state=s1"
    async with idp.http() as browser:
        missing = await browser.get(base)
        plain = await browser.get(base + "&code_challenge=" + "a" * 43 + "&code_challenge_method=plain")
        bad_redirect = await browser.get(
            base.replace(REDIRECT, "https://evil.test/cb")
            + "&code_challenge="
            + "a" * 43
            + "&code_challenge_method=S256"
        )
    for resp in (missing, plain):
        assert resp.status_code == 303
        assert query(resp.headers["location"])["error"] == "invalid_request"
        assert query(resp.headers["location"])["state"] == "s1"
    assert bad_redirect.status_code == 400 and "location" not in bad_redirect.headers, (
        "never redirect to an unregistered URI"
    )


async def test_a_wrong_verifier_or_a_replayed_code_is_refused(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, _ = await idp.client()
    meta = await discover(idp)
    rp = AsyncOAuth2Client(
        client_id,
        token_endpoint_auth_method="none",
        redirect_uri=REDIRECT,
        scope="openid",
        code_challenge_method="S256",
        transport=idp.transport,
    )
    verifier = secrets.token_urlsafe(48)
    url, _ = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n")
    async with idp.http() as browser:
        done = await sign_in(browser, url, username="lisi")
    code = query(done.headers["location"])["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id}
    async with idp.http() as http:
        wrong = await http.post(meta["token_endpoint"], data={**form, "code_verifier": secrets.token_urlsafe(48)})
        right = await http.post(meta["token_endpoint"], data={**form, "code_verifier": verifier})
        replay = await http.post(meta["token_endpoint"], data={**form, "code_verifier": verifier})
        refreshed = await http.post(
            meta["token_endpoint"],
            data={
                "grant_type": "refresh_token",
                "refresh_token": right.json()["refresh_token"],
                "client_id": client_id,
            },
        )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 200, right.text
    assert right.headers["cache-control"] == "no-store"
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refreshed.json()["error"] == "invalid_grant", "a replayed code revokes what it produced"
