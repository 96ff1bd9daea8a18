"""The HTML pages of the sign-in flow, in the platform's one look (gov_web's layout and local assets,
served by identity itself under ``/static/web``), Chinese only, plain forms that work without JavaScript.

The forms keep one shape the relying parties' tests and scripts read: ``<form method="post" action=...>``
and a hidden ``request_id``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse
from jinja2 import Environment

from gov_common.scopes import CONSENT_TEXT
from gov_web.templating import STATIC_PATH, environment

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# The pages load their stylesheets, script and icon from identity's own origin only; forms post to identity,
# and a form's redirects (to the client's registered redirect URI) are allowed by ``form-action``.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self' *; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


@cache
def _templates(issuer: str, site_name: str) -> Environment:
    """The environment for pages served under ``issuer`` (through the gateway: ``/api/identity``)."""
    env = environment(TEMPLATES, static_path=urlsplit(issuer).path.rstrip("/") + STATIC_PATH)
    env.globals["site_name"] = site_name
    return env


class Pages:
    """Renders the pages for one issuer (whose path prefix the asset addresses carry)."""

    def __init__(self, issuer: str, site_name: str) -> None:
        self.env = _templates(issuer, site_name)
        self.base = issuer.rstrip("/")

    @classmethod
    def of(cls, settings: Any) -> Pages:
        """The pages of identity's ``settings`` (its issuer and the province's site name)."""
        return cls(settings.token_issuer, settings.site_name)

    def _page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(f"identity/{template}").render(**context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def login(
        self, *, action: str, request_id: str, client_name: str, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        """The password form; a wrong password is shown next to the password field, a lock-out next to the
        user name (the account is what is locked)."""
        errors = {("username" if status == 429 else "password"): error} if error else {}
        return self._page(
            "login.html",
            status,
            action=action,
            request_id=request_id,
            client_name=client_name,
            errors=errors,
            reset=self.base + "/password-reset",
        )

    def totp(self, *, action: str, request_id: str, error: str | None = None, status: int = 200) -> HTMLResponse:
        return self._page(
            "totp.html", status, action=action, request_id=request_id, errors={"code": error} if error else {}
        )

    def enterprise(
        self, *, action: str, request_id: str, client_name: str, choices: tuple[tuple[str, str], ...]
    ) -> HTMLResponse:
        """For whom the person acts this time: themself or one of the enterprises (code, name)."""
        return self._page(
            "enterprise.html", action=action, request_id=request_id, client_name=client_name, choices=choices
        )

    def consent(self, *, action: str, request_id: str, client_name: str, scopes: list[str]) -> HTMLResponse:
        """Each scope the client would get, with what it lets the client do."""
        shown = [(describe(s), s) for s in scopes]
        return self._page("consent.html", action=action, request_id=request_id, client_name=client_name, scopes=shown)

    def error(self, message: str, status: int = 400) -> HTMLResponse:
        return self._page(
            "message.html",
            status,
            title="无法继续",
            message=message,
            error=True,
            hint="请回到您要使用的网站或应用，重新点击“登录”。",
        )

    def signed_out(self) -> HTMLResponse:
        return self._page("message.html", title="已退出登录", message="您已退出统一身份认证，可以关闭此页面。")

    def logout_confirm(
        self, *, action: str, csrf: str, client_name: str | None, keep: dict[str, str | None]
    ) -> HTMLResponse:
        """Asks before signing out when the request cannot prove it comes from the session's own client."""
        fields = [(k, v) for k, v in keep.items() if v is not None]
        return self._page("logout.html", action=action, csrf=csrf, client_name=client_name, keep=fields)

    def reset_start(
        self, *, identifier: str = "", errors: dict[str, str] | None = None, status: int = 200
    ) -> HTMLResponse:
        """忘记密码: who the person is (a code goes to the number registered for that account)."""
        return self._page(
            "reset_start.html",
            status,
            action=self.base + "/password-reset",
            identifier=identifier,
            errors=errors or {},
        )

    def reset_code(
        self, *, reset_id: str, hint: str, errors: dict[str, str] | None = None, status: int = 200
    ) -> HTMLResponse:
        """The code from the text message and the new password (twice)."""
        return self._page(
            "reset_code.html",
            status,
            action=self.base + "/password-reset/completion",
            restart=self.base + "/password-reset",
            reset_id=reset_id,
            hint=hint,
            errors=errors or {},
        )

    def reset_done(self) -> HTMLResponse:
        return self._page(
            "message.html",
            title="密码已重置",
            message="您的新密码已生效，所有设备上的登录都已退出。",
            hint="请回到您要使用的网站或应用，用新密码登录。",
        )


def describe(scope: str) -> str:
    return CONSENT_TEXT.get(scope, scope)
