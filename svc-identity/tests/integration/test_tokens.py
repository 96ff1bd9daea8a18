"""Refresh rotation and reuse detection, client credentials, private_key_jwt, introspection,
revocation, and key rotation that does not break tokens issued before it."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gov_common.auth import JWKSCache, TokenVerifier

from ..conftest import ISSUER, REDIRECT, Idp, sign_in

pytestmark = pytest.mark.postgres

TOKEN = f"{ISSUER}/token"


async def signed_in_tokens(idp: Idp, *, username: str = "lisi", client_id: str | None = None) -> tuple[str, dict]:
    if client_id is None:
        client_id, _ = await idp.client()
    rp = AsyncOAuth2Client(
        client_id,
        token_endpoint_auth_method="none",
        redirect_uri=REDIRECT,
        scope="openid",
        code_challenge_method="S256",
        transport=idp.transport,
    )
    verifier = secrets.token_urlsafe(48)
    url, _ = rp.create_authorization_url(f"{ISSUER}/authorize", code_verifier=verifier, nonce="n")
    async with idp.http() as browser:
        done = await sign_in(browser, url, username=username)
    token = await rp.fetch_token(TOKEN, authorization_response=done.headers["location"], code_verifier=verifier)
    await rp.aclose()
    return client_id, dict(token)


async def refresh(http: httpx.AsyncClient, client_id: str, refresh_token: str) -> httpx.Response:
    return await http.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    )


async def test_refresh_rotates_and_reuse_revokes_the_family(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    client_id, first = await signed_in_tokens(idp)
    async with idp.http() as http:
        second = await refresh(http, client_id, first["refresh_token"])
        assert second.status_code == 200, second.text
        rotated = second.json()["refresh_token"]
        assert rotated != first["refresh_token"]
        third = await refresh(http, client_id, rotated)
        assert third.status_code == 200
        latest = third.json()["refresh_token"]

        reuse = await refresh(http, client_id, first["refresh_token"])  # an attacker replays a stolen, used token
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
        after = await refresh(http, client_id, latest)
        assert after.status_code == 400 and after.json()["error"] == "invalid_grant", "the whole family is revoked"


async def test_client_credentials_with_client_secret_basic(idp: Idp) -> None:
    client_id, secret = await idp.client(
        auth_method="client_secret_basic",
        grant_types=("client_credentials",),
        scopes=("exchange.catalog.read", "exchange.cases.write"),
        region="450100",
    )
    async with idp.http() as http:
        ok = await http.post(
            TOKEN,
            data={"grant_type": "client_credentials", "scope": "exchange.catalog.read"},
            auth=(client_id, secret or ""),
        )
        wrong = await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=(client_id, "not-the-secret"))
        too_much = await http.post(
            TOKEN,
            data={"grant_type": "client_credentials", "scope": "exchange.webhooks.manage"},
            auth=(client_id, secret or ""),
        )
        no_auth = await http.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client_id})
        code_grant = await http.post(
            TOKEN, data={"grant_type": "authorization_code", "code": "x"}, auth=(client_id, secret or "")
        )
    assert ok.status_code == 200, ok.text
    claims = jwt.decode(ok.json()["access_token"], KeySet.import_key_set(await jwks(idp))).claims
    assert claims["sub"] == client_id and claims["kind"] == "system" and claims["scope"] == "exchange.catalog.read"
    assert claims["region"] == "450100" and claims["aud"] == "gov-platform"
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert too_much.status_code == 400 and too_much.json()["error"] == "invalid_scope"
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "invalid_client"
    assert code_grant.json()["error"] == "unauthorized_client"


async def jwks(idp: Idp) -> dict:
    async with idp.http() as http:
        return (await http.get(f"{ISSUER}/.well-known/jwks.json")).json()


async def test_private_key_jwt_client_authentication(idp: Idp) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "dept-1"}, private=True)
    public = {"keys": [key.as_dict(private=False)]}
    client_id, _ = await idp.client(
        auth_method="private_key_jwt",
        grant_types=("client_credentials",),
        scopes=("exchange.shared.query",),
        jwks=public,
    )
    system = AsyncOAuth2Client(
        client_id,
        key,
        token_endpoint_auth_method=PrivateKeyJWT(TOKEN),
        transport=idp.transport,
        scope="exchange.shared.query",
    )
    token = await system.fetch_token(TOKEN, grant_type="client_credentials")
    assert token["scope"] == "exchange.shared.query"
    await system.aclose()

    other = RSAKey.generate_key(2048, parameters={"kid": "dept-1"}, private=True)
    forged = AsyncOAuth2Client(
        client_id, other, token_endpoint_auth_method=PrivateKeyJWT(TOKEN), transport=idp.transport
    )
    with pytest.raises(Exception, match="invalid_client"):
        await forged.fetch_token(TOKEN, grant_type="client_credentials")
    await forged.aclose()

    # The same assertion twice: the second is a replay.
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "RS256", "kid": "dept-1"},
        {"iss": client_id, "sub": client_id, "aud": TOKEN, "jti": "once", "iat": now, "exp": now + 60},
        key,
    )
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    async with idp.http() as http:
        first = await http.post(TOKEN, data=form)
        replay = await http.post(TOKEN, data=form)
    assert first.status_code == 200
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


async def test_introspection_and_revocation(idp: Idp) -> None:
    await idp.citizen("lisi", id_number="450102198506152342", phone="13800000002")
    rs_id, rs_secret = await idp.client(auth_method="client_secret_basic", grant_types=("client_credentials",))
    client_id, tokens = await signed_in_tokens(idp)
    rs = (rs_id, rs_secret or "")
    async with idp.http() as http:
        active = (await http.post(f"{ISSUER}/introspect", data={"token": tokens["access_token"]}, auth=rs)).json()
        unauthenticated = await http.post(f"{ISSUER}/introspect", data={"token": tokens["access_token"]})
        garbage = (await http.post(f"{ISSUER}/introspect", data={"token": "a.b.c"}, auth=rs)).json()

        revoked = await http.post(f"{ISSUER}/revoke", data={"token": tokens["access_token"], "client_id": client_id})
        after = (await http.post(f"{ISSUER}/introspect", data={"token": tokens["access_token"]}, auth=rs)).json()
        userinfo = await http.get(f"{ISSUER}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})

        foreign = await http.post(f"{ISSUER}/revoke", data={"token": tokens["refresh_token"]}, auth=rs)
        still = await refresh(http, client_id, tokens["refresh_token"])
        assert still.status_code == 200, "another client cannot revoke this client's refresh token"
        newest = still.json()["refresh_token"]
        gone = await http.post(
            f"{ISSUER}/revoke", data={"token": newest, "token_type_hint": "refresh_token", "client_id": client_id}
        )
        dead = await refresh(http, client_id, newest)
    assert active["active"] is True and active["client_id"] == client_id and active["sub"]
    assert unauthenticated.status_code == 401
    assert garbage == {"active": False}
    assert revoked.status_code == 200
    assert after == {"active": False}
    assert userinfo.status_code == 401 and userinfo.json()["error"] == "invalid_token"
    assert foreign.status_code == 200
    assert gone.status_code == 200 and dead.json()["error"] == "invalid_grant"


async def test_key_rotation_keeps_earlier_tokens_valid(idp: Idp) -> None:
    admin, _ = await idp.staff("gx-admin", roles=("platform_admin",), region="450000")
    before = await idp.token_for(admin)
    old_kid = jwt.decode(before, KeySet.import_key_set(await jwks(idp))).header["kid"]

    async with idp.http() as http:
        rotated = await http.post(
            "/api/identity/v1/signing-keys/rotation", headers={"Authorization": f"Bearer {before}"}
        )
        assert rotated.status_code == 201, rotated.text
        new_kid = rotated.json()["kid"]
        published = await jwks(idp)
        after = await idp.token_for(admin)
        # Tokens signed before the rotation still pass identity's own APIs.
        me = await http.get("/api/identity/v1/me", headers={"Authorization": f"Bearer {before}"})
        refused = await http.post(
            "/api/identity/v1/signing-keys/rotation",
            headers={
                "Authorization": f"Bearer {await idp.token_for(await idp.citizen('citizen1', id_number='450102198506152342', phone='13800000002'))}"
            },
        )
    assert {k["kid"] for k in published["keys"]} == {old_kid, new_kid}, "old and new key published during the overlap"
    assert all("d" not in k for k in published["keys"]), "never a private part"
    assert jwt.decode(after, KeySet.import_key_set(published)).header["kid"] == new_kid
    assert me.status_code == 200
    assert refused.status_code == 403

    # A service that cached the JWKS before the rotation accepts old and new tokens (it refetches on the new kid).
    http = httpx.AsyncClient(transport=idp.transport, base_url="http://gov.test")
    verifier = TokenVerifier(
        JWKSCache(f"{ISSUER}/.well-known/jwks.json", client=http, min_refetch_seconds=0),
        issuer=ISSUER,
        audience="gov-platform",
    )
    assert (await verifier.verify(before)).subject == str(admin)
    assert (await verifier.verify(after)).subject == str(admin)
    await http.aclose()
