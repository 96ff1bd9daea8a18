"""Settings every web front-end shares; a front-end's ``Settings`` subclasses :class:`WebSettings` with its
own env prefix (``PORTAL_``), falling back to ``GOV_`` like the services."""

from __future__ import annotations

from pydantic import Field, SecretStr

from gov_common.settings import ServiceSettings


class WebSettings(ServiceSettings):
    # Where the browser reaches this front-end (its OIDC redirect_uri is public_url + "/callback").
    public_url: str = "http://127.0.0.1:8080"
    # The gateway as this process reaches it (server to server) and as the browser reaches it (sign-in pages,
    # the sandbox payment page); the same on one machine, different behind an ingress.
    gateway_url: str = "http://127.0.0.1:8000"
    gateway_public_url: str = ""
    # The confidential OIDC client this front-end is (client_secret_basic at the token endpoint).
    client_id: str = "gov-portal-web"
    client_secret: SecretStr = SecretStr("demo-portal-web-secret")
    scope: str = "openid profile phone"
    # Authentication methods (the ID token's ``amr``) a sign-in must include, e.g. ``["otp"]`` for a staff
    # front-end: a sign-in without them is refused here even if the identity provider let it through.
    required_amr: list[str] = Field(default_factory=list)
    # The session cookie: HttpOnly and SameSite=Lax always; Secure unless turned off for plain-HTTP tests.
    cookie_name: str = "gov_web_session"
    cookie_secure: bool = True
    # A session ends after this long without a request, and at the latest after session_max_seconds.
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    session_max_seconds: int = Field(default=8 * 3600, ge=300)
    # Uploads the front-end passes on (the service decides; this bounds what the front-end reads).
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)

    @property
    def browser_gateway_url(self) -> str:
        return (self.gateway_public_url or self.gateway_url).rstrip("/")
