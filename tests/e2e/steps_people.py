"""People of the journeys: each signs in through the gateway in a browser of their own (a cookie jar, so that
single sign-on of one person never hands a session to another), and what every journey asserts about answers
(problem+json) and about things that happen later (events between services)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from harness import Platform
from identity_flows import DEMO_PASSWORD, STAFF_SCOPE, WORKBENCH_CLIENT, _form, sign_in, totp_secrets

T = TypeVar("T")
TIMEOUT = 90.0  # events cross Kafka and several services on a loaded machine


def eventually(probe: Callable[[], T | None], what: str, timeout: float = TIMEOUT, every: float = 0.5) -> T:
    """The first truthy answer of ``probe``, polling until ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def problem(resp: httpx.Response, status: int) -> dict[str, object]:
    """An RFC 9457 answer with ``status``; its body."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers["content-type"]
    body: dict[str, object] = resp.json()
    assert body["status"] == status and str(body["type"]).startswith("urn:gov-platform:problem:"), body
    return body


@dataclass
class Person:
    """Someone signed in: their browser (``client``, the gateway as base URL) and their bearer token."""

    name: str
    client: httpx.Client
    token: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.client.get(path, headers=self.auth, **kw)  # type: ignore[arg-type]

    def post(self, path: str, *, key: str | None = None, **kw: object) -> httpx.Response:
        """POST as this person; ``key`` is sent as the Idempotency-Key."""
        headers = self.auth | ({"Idempotency-Key": key} if key else {})
        return self.client.post(path, headers=headers, **kw)  # type: ignore[arg-type]


def browser(platform: Platform) -> httpx.Client:
    return httpx.Client(base_url=platform.gateway, timeout=60)


def citizen(platform: Platform, username: str, **kw: str) -> Person:
    client = browser(platform)
    return Person(username, client, sign_in(client, username, DEMO_PASSWORD, **kw))


def staff(platform: Platform, username: str) -> Person:
    """Demo staff sign in with their TOTP secret (printed by identity's demo data)."""
    secret = totp_secrets(platform.demo_text("identity"))[username]
    client = browser(platform)
    return Person(
        username,
        client,
        sign_in(client, username, DEMO_PASSWORD, client_id=WORKBENCH_CLIENT, scope=STAFF_SCOPE, totp_secret=secret),
    )


def authorize_for_enterprise(client: httpx.Client, username: str, enterprise: str, scope: str) -> dict[str, str]:
    """A person signs in to act for ``enterprise`` (``&enterprise=`` on the authorization request, as the
    portal's company switcher does): the token response, or the OAuth error the redirect carries."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = str(client.base_url).rstrip("/") + "/callback"
    params = {
        "response_type": "code",
        "client_id": "gov-portal",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "enterprise": enterprise,
        "prompt": "login",  # each journey step is a fresh sign-in, not the browser's earlier session
    }
    page = client.get("/api/identity/authorize", params=params)
    if page.status_code == 200:
        action, request_id = _form(page)
        page = client.post(action, data={"request_id": request_id, "username": username, "password": DEMO_PASSWORD})
    assert page.status_code == 303, (page.status_code, page.text[:300])
    query = {k: v[0] for k, v in parse_qs(urlsplit(page.headers["location"]).query).items()}
    assert query.get("state") == params["state"], query
    if "code" not in query:
        return query
    tokens = client.post(
        "/api/identity/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": redirect_uri,
            "client_id": "gov-portal",
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    return dict(tokens.json())


def agent(platform: Platform, username: str, enterprise: str, scope: str) -> Person:
    client = browser(platform)
    answer = authorize_for_enterprise(client, username, enterprise, scope)
    assert "access_token" in answer, answer
    return Person(f"{username} for {enterprise}", client, answer["access_token"])
