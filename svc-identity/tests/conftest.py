"""Fixtures of svc-identity's tests: the app on a fresh PostgreSQL database, seen through a gateway-like
mount at ``/api/identity`` (so that the issuer URL and the endpoint URLs are the production shape), and
helpers that seed clients and accounts and drive the HTML sign-in like a browser."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gov_common.auth import Principal
from gov_common.scopes import default_for
from gov_common.testing import serve_lifespan
from gov_standards.identifiers import credit_check_character
from identity.accounts.schemas import CitizenCreate
from identity.accounts.service import register_citizen
from identity.deps import Identity
from identity.main import create_app
from identity.models import Account, Department, OAuthClient
from identity.oidc.clientauth import secret_hash
from identity.oidc.tokens import access_token, person_claims
from identity.org.schemas import StaffCreate
from identity.org.service import create_staff
from identity.settings import Settings

BASE = "http://gov.test"
ISSUER = f"{BASE}/api/identity"
REDIRECT = "https://rp.test/callback"
PASSWORD = "Correct-horse-42"


@dataclass
class Idp:
    app: Any
    settings: Settings
    transport: httpx.ASGITransport
    created: list[str] = field(default_factory=list)

    @property
    def identity(self) -> Identity:
        return self.app.state.identity

    @property
    def db(self) -> Any:
        return self.app.state.runtime.db

    def http(self, **kwargs: Any) -> httpx.AsyncClient:
        """A browser-like client (own cookie jar) talking to the service through the mount."""
        return httpx.AsyncClient(transport=self.transport, base_url=BASE, **kwargs)

    async def client(
        self,
        *,
        auth_method: str = "none",
        grant_types: tuple[str, ...] = ("authorization_code", "refresh_token"),
        scopes: tuple[str, ...] = (),
        first_party: bool = True,
        jwks: dict[str, Any] | None = None,
        region: str | None = None,
        post_logout: tuple[str, ...] = (),
        account_kinds: tuple[str, ...] = ("citizen",),
    ) -> tuple[str, str | None]:
        client_id = "c-" + secrets.token_hex(4)
        secret = secrets.token_urlsafe(24) if auth_method == "client_secret_basic" else None
        async with self.db.transaction() as session:
            session.add(
                OAuthClient(
                    client_id=client_id,
                    name=f"Test RP {client_id}",
                    auth_method=auth_method,
                    secret_hash=secret_hash(secret) if secret else None,
                    jwks=jwks,
                    redirect_uris=[REDIRECT],
                    post_logout_redirect_uris=list(post_logout),
                    grant_types=list(grant_types),
                    scopes=list(scopes),
                    account_kinds=list(account_kinds),
                    first_party=first_party,
                    region_code=region,
                )
            )
        return client_id, secret

    async def citizen(
        self, username: str, *, id_number: str, phone: str, real_name: str = "张三", level: int = 1
    ) -> uuid.UUID:
        async with self.db.transaction() as session:
            account = await register_citizen(
                session=session,
                pii=self.identity.pii,
                citizen_in=CitizenCreate(
                    username=username, real_name=real_name, id_number=id_number, phone=phone, password=PASSWORD
                ),
            )
            account.assurance_level = level
            return account.id

    async def department(self, region: str, name: str = "行政审批局") -> uuid.UUID:
        body = f"11{region}MB{uuid.uuid4().int % 10**7:07d}"
        async with self.db.transaction() as session:
            department = Department(name=name, region_code=region, code=body + credit_check_character(body))
            session.add(department)
            await session.flush()
            return department.id

    async def staff(
        self, username: str, *, roles: tuple[str, ...], region: str = "450100", totp: bool = True
    ) -> tuple[uuid.UUID, str]:
        department = await self.department(region)
        seeder = Principal(subject="test", kind="staff", roles=frozenset({"platform_admin"}))
        async with self.db.transaction() as session:
            account, _, secret = await create_staff(
                session=session,
                pii=self.identity.pii,
                principal=seeder,
                staff_in=StaffCreate(
                    username=username, real_name=username, region=region, department_id=department, roles=list(roles)
                ),
                password=PASSWORD,
            )
            if not totp:
                account.totp_secret_enc = None
            return account.id, secret

    async def token_for(self, account_id: uuid.UUID, *, scope: str | None = None, client_id: str = "test") -> str:
        """An access token exactly as the token endpoint would issue it for this account; without ``scope``
        it carries what a first-party client gives the account's kind (``openid`` and default_for(kind))."""
        async with self.db.transaction() as session:
            account = await session.get(Account, account_id)
            assert account is not None
            if scope is None:
                scope = " ".join(["openid", *sorted(default_for(account.kind))])
            token, _ = await access_token(
                self.identity, session, person_claims(account, scope=scope, client_id=client_id, enterprise=None)
            )
            return token


@pytest.fixture
async def idp(pg_url: str, tmp_path: Path) -> AsyncIterator[Idp]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_url,
        environment="test",
        token_issuer=ISSUER,
        key_cache_seconds=0,
        housekeeping_seconds=0.2,  # the background purge runs during the tests too
        log_json=False,
    )
    app = create_app(settings)
    async with serve_lifespan(app):
        gateway = Starlette(routes=[Mount("/api/identity", app=app)])
        yield Idp(app=app, settings=settings, transport=httpx.ASGITransport(app=gateway))


def hidden(page: str, name: str = "request_id") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def form_action(page: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', page)
    assert match, page
    return match.group(1)


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def sign_in(
    browser: httpx.AsyncClient,
    authorize_url: str,
    *,
    username: str,
    password: str = PASSWORD,
    totp_secret: str | None = None,
    consent: bool = True,
) -> httpx.Response:
    """Drive the HTML pages like a person with a browser; the last response (a redirect or a page)."""
    page = await browser.get(authorize_url)
    if page.status_code != 200 or "password" not in page.text:
        return page
    resp = await browser.post(
        form_action(page.text), data={"request_id": hidden(page.text), "username": username, "password": password}
    )
    if resp.status_code == 200 and 'name="code"' in resp.text and totp_secret is not None:
        code = pyotp.TOTP(totp_secret).now()
        resp = await browser.post(form_action(resp.text), data={"request_id": hidden(resp.text), "code": code})
    if resp.status_code == 200 and 'name="decision"' in resp.text and consent:
        resp = await browser.post(form_action(resp.text), data={"request_id": hidden(resp.text), "decision": "allow"})
    return resp
