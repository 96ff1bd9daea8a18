"""The backend-for-frontend OIDC client: authorization code + PKCE (S256) as a confidential client
(client_secret_basic), state and nonce checked, the ID token verified (signature against the identity
provider's JWKS, issuer, audience, expiry, nonce); tokens are kept in the server-side session and refreshed
there, never sent to the browser; RP-initiated logout with the ID token as hint."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError

from gov_common.auth import JWKSCache
from gov_web.sessions import SessionStore, WebSession
from gov_web.settings import WebSettings

PENDING_LIMIT = 5  # sign-ins started in other tabs and not finished: the oldest is dropped
REFRESH_MARGIN_SECONDS = 30
ALGORITHMS = ["ES256", "RS256", "EdDSA", "PS256"]


class SignInRequired(Exception):
    """The page needs a signed-in person: go to /login and come back to ``next_path``."""

    def __init__(self, next_path: str = "/") -> None:
        super().__init__(next_path)
        self.next_path = next_path


class SignInFailed(Exception):
    """The identity provider's answer could not be accepted (state, code or ID token)."""


def safe_next(value: str | None) -> str:
    """A local path to return to; anything else (another site, ``//host``, a backslash trick) is ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 1000:
        return "/"
    if any(ord(c) < 0x20 for c in value):
        return "/"
    return value


def missing_methods(claims: dict[str, Any], required: list[str]) -> list[str]:
    """The authentication methods of ``required`` (e.g. ``otp``) the ID token's ``amr`` does not list."""
    amr = claims.get("amr")
    said = {str(m) for m in amr} if isinstance(amr, list) else set()
    return sorted(set(required) - said)


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OIDCClient:
    def __init__(self, settings: WebSettings, http: httpx.AsyncClient, store: SessionStore) -> None:
        self.settings = settings
        self.http = http
        self.store = store
        browser = settings.browser_gateway_url
        server = settings.gateway_url.rstrip("/")
        self.issuer = settings.token_issuer
        self.authorize_endpoint = f"{browser}/api/identity/authorize"
        self.end_session_endpoint = f"{browser}/api/identity/logout"
        self.token_endpoint = f"{server}/api/identity/token"
        self.revocation_endpoint = f"{server}/api/identity/revoke"
        self.redirect_uri = settings.public_url.rstrip("/") + "/callback"
        self.jwks = JWKSCache(f"{server}/api/identity/.well-known/jwks.json", client=http)

    @property
    def _auth(self) -> tuple[str, str]:
        return (self.settings.client_id, self.settings.client_secret.get_secret_value())

    def begin(self, ws: WebSession, next_path: str, *, prompt: str | None = None) -> str:
        """The authorization URL to send the browser to; the state, nonce and PKCE verifier stay in ``ws``."""
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        pending = dict(ws.get("oidc_pending") or {})
        while len(pending) >= PENDING_LIMIT:
            pending.pop(min(pending, key=lambda k: pending[k]["at"]))
        pending[state] = {"nonce": nonce, "verifier": verifier, "next": safe_next(next_path), "at": time.time()}
        ws.set("oidc_pending", pending)
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.settings.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        if prompt:
            params["prompt"] = prompt
        return f"{self.authorize_endpoint}?{urlencode(params)}"

    async def finish(self, ws: WebSession, *, code: str, state: str) -> str:
        """Exchange the code of a sign-in this session started; the path to return to. The session gets a
        new token (no fixation) and holds the tokens and who signed in."""
        pending = dict(ws.get("oidc_pending") or {})
        started = pending.pop(state, None)
        ws.set("oidc_pending", pending)
        if started is None:
            raise SignInFailed("this sign-in was not started here, or was already finished")
        resp = await self.http.post(
            self.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": started["verifier"],
            },
            auth=self._auth,
        )
        if resp.status_code != 200:
            raise SignInFailed(f"the token endpoint answered {resp.status_code}")
        tokens = resp.json()
        claims = await self.verify_id_token(str(tokens.get("id_token", "")), nonce=started["nonce"])
        ws.rotate()
        ws.set("tokens", _kept(tokens))
        user = {"sub": str(claims["sub"]), "name": claims.get("name"), "acr": claims.get("acr")}
        ws.set("user", {**user, "enterprise": claims.get("enterprise")})
        ws.pop("csrf")  # a new CSRF token with the new session
        return str(started["next"])

    async def verify_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        try:
            keys = await self.jwks.get()
            try:
                decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            except JoseError:
                decoded = jwt.decode(id_token, await self.jwks.get(refresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                leeway=30,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.settings.client_id},
                exp={"essential": True},
                sub={"essential": True},
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise SignInFailed(f"the ID token is not valid: {exc}") from exc
        if nonce is not None and decoded.claims.get("nonce") != nonce:
            raise SignInFailed("the ID token's nonce is not the one this sign-in sent")
        missing = missing_methods(decoded.claims, self.settings.required_amr)
        if missing:
            raise SignInFailed(f"the sign-in lacks the required authentication methods {missing}")
        return dict(decoded.claims)

    async def access_token(self, ws: WebSession, next_path: str) -> str:
        """A live access token of the session, refreshed when it is about to expire (one refresh at a time
        per session across replicas); :class:`SignInRequired` when there is none or it cannot be renewed."""
        tokens = ws.get("tokens")
        if not isinstance(tokens, dict):
            raise SignInRequired(next_path)
        if tokens.get("expires_at", 0) - REFRESH_MARGIN_SECONDS > time.time():
            return str(tokens["access_token"])
        async with self.store.locked(ws) as data:
            held = (data or {}).get("tokens")
            if not isinstance(held, dict):
                raise SignInRequired(next_path)
            if held.get("expires_at", 0) - REFRESH_MARGIN_SECONDS > time.time():
                return str(held["access_token"])  # another request of this session refreshed meanwhile
            refresh = held.get("refresh_token")
            resp = (
                await self.http.post(
                    self.token_endpoint,
                    data={"grant_type": "refresh_token", "refresh_token": refresh},
                    auth=self._auth,
                )
                if refresh
                else None
            )
            if resp is None or resp.status_code != 200:
                assert data is not None
                data.pop("tokens", None)
                data.pop("user", None)
                raise SignInRequired(next_path)
            renewed = _kept(resp.json())
            renewed.setdefault("id_token", held.get("id_token"))
            assert data is not None
            data["tokens"] = renewed
            return str(renewed["access_token"])

    async def sign_out(self, ws: WebSession) -> str:
        """End the session here, revoke its refresh token, and the URL that ends the sign-in at the identity
        provider (RP-initiated logout) and comes back to the front page."""
        tokens = ws.get("tokens") or {}
        if tokens.get("refresh_token"):
            try:
                await self.http.post(
                    self.revocation_endpoint,
                    data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
                    auth=self._auth,
                )
            except httpx.HTTPError:
                pass  # the session ends here anyway; the refresh token dies with the sign-in session
        ws.end()
        params = {
            "client_id": self.settings.client_id,
            "post_logout_redirect_uri": self.settings.public_url.rstrip("/") + "/",
        }
        if tokens.get("id_token"):
            params["id_token_hint"] = tokens["id_token"]
        return f"{self.end_session_endpoint}?{urlencode(params)}"


def _kept(tokens: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_token": tokens["access_token"],
        "refresh_token": tokens.get("refresh_token"),
        "id_token": tokens.get("id_token"),
        "expires_at": time.time() + int(tokens.get("expires_in", 300)),
    }
