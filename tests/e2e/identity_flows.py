"""Signing in as a browser and a front-end would: OpenID Connect authorization code + PKCE S256 through the
gateway's ``/api/identity`` routes, the HTML sign-in, second-factor and consent forms driven with httpx;
and the client credentials grant of a system client."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from gov_common.scopes import PERSON, STAFF

PORTAL_CLIENT = "gov-portal"  # the demo citizen portal (identity's demo data): people's scopes
WORKBENCH_CLIENT = "gov-workbench"  # the demo staff workbench: staff scopes, staff accounts only
DEMO_PASSWORD = "Demo-2026-gx"  # every demo person's password
CITIZEN_SCOPE = " ".join(["openid", *sorted(PERSON)])
STAFF_SCOPE = " ".join(["openid", *sorted(STAFF)])

_INPUT = re.compile(r'<input type="hidden" name="request_id" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]*)">')
# The last TOTP time step this process used per secret: identity refuses a step twice (replay).
_used_steps: dict[str, int] = {}
_steps_lock = threading.Lock()


def totp_secrets(demo_text: str) -> dict[str, str]:
    """Staff user name -> TOTP secret, from what identity prints about its demo data."""
    return dict(re.findall(r"^\s+(\S+)\s+TOTP secret (\S+)", demo_text, re.MULTILINE))


def _totp_code(secret: str) -> str:
    """A code for a time step not used before by this process (identity accepts ±1 step of drift)."""
    totp = pyotp.TOTP(secret)
    while True:
        with _steps_lock:
            now = totp.timecode(time.time())
            step = max(now, _used_steps.get(secret, -1) + 1)
            if step <= now + 1:
                _used_steps[secret] = step
                return str(totp.generate_otp(step))
        time.sleep(1)


def _form(page: httpx.Response) -> tuple[str, str]:
    """The form's action and its request_id of an identity HTML page."""
    action, request_id = _ACTION.search(page.text), _INPUT.search(page.text)
    if page.status_code != 200 or action is None or request_id is None:
        raise AssertionError(f"expected a sign-in form, got {page.status_code}: {page.text[:500]}")
    return unescape(action.group(1)), unescape(request_id.group(1))


def sign_in(
    gateway: httpx.Client,
    username: str,
    password: str,
    *,
    client_id: str = PORTAL_CLIENT,
    scope: str = CITIZEN_SCOPE,
    totp_secret: str | None = None,
) -> str:
    """The access token of ``username`` after the code flow with PKCE S256; ``gateway`` keeps the browser's
    cookies (a client already signed in skips the password form, as single sign-on does)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    redirect_uri = str(gateway.base_url).rstrip("/") + "/callback"
    page = gateway.get(
        "/api/identity/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    if page.status_code == 200:
        action, request_id = _form(page)
        page = gateway.post(action, data={"request_id": request_id, "username": username, "password": password})
        if page.status_code == 200 and 'name="code"' in page.text:
            if totp_secret is None:
                raise AssertionError(f"{username} needs a second factor: pass totp_secret")
            action, request_id = _form(page)
            page = gateway.post(action, data={"request_id": request_id, "code": _totp_code(totp_secret)})
        if page.status_code == 200 and 'value="allow"' in page.text:
            action, request_id = _form(page)
            page = gateway.post(action, data={"request_id": request_id, "decision": "allow"})
    assert page.status_code == 303, f"sign-in of {username} failed ({page.status_code}): {page.text[:500]}"
    location = page.headers["location"]
    assert location.startswith(redirect_uri), location
    query = parse_qs(urlsplit(location).query)
    assert query.get("state") == [state], location
    assert "code" in query, f"no code in the redirect: {location}"
    tokens = gateway.post(
        "/api/identity/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "Bearer"
    return str(tokens.json()["access_token"])


def client_credentials(gateway: httpx.Client, client_id: str, client_secret: str, scope: str) -> str:
    """A system client's access token (client_secret_basic)."""
    tokens = gateway.post(
        "/api/identity/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client_id, client_secret),
    )
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["access_token"])
