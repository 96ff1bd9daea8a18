"""The HTML pages of the sign-in flow: plain forms that work without JavaScript."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from gov_common.scopes import CATALOGUE

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{margin-top:1rem;padding:.6rem 1.2rem}.error{color:#b00020}"
)

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' *; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def login_page(
    *, action: str, request_id: str, client_name: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    body = (
        f"<p>登录以继续访问 {escape(client_name)} (sign in to continue)</p>{_error(error)}"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        '<label for="username">用户名 / 身份证号 / 手机号</label>'
        '<input id="username" name="username" autocomplete="username" required>'
        '<label for="password">密码</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        '<button type="submit">登录</button></form>'
    )
    return _page("统一身份认证", body, status)


def totp_page(*, action: str, request_id: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    body = (
        f"<p>请输入动态口令 (enter the 6-digit code from your authenticator)</p>{_error(error)}"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        '<label for="code">动态口令</label>'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>'
        '<button type="submit">确认</button></form>'
    )
    return _page("双因素认证", body, status)


# What the OpenID Connect scopes show a client (the platform scopes' descriptions are the catalogue's).
OIDC_DESCRIPTIONS = {
    "openid": "know who you are (your account id)",
    "profile": "your name and user name",
    "phone": "your mobile number",
    "offline_access": "stay signed in for you",
}


def describe(scope: str) -> str:
    return CATALOGUE.get(scope) or OIDC_DESCRIPTIONS.get(scope, scope)


def consent_page(*, action: str, request_id: str, client_name: str, scopes: list[str]) -> HTMLResponse:
    """Each scope the client would get, with what it lets the client do."""
    items = "".join(f"<li><strong>{escape(describe(s))}</strong> <code>{escape(s)}</code></li>" for s in scopes)
    body = (
        f"<p>{escape(client_name)} 请求以下权限 (asks for):</p><ul>{items}</ul>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        '<button type="submit" name="decision" value="allow">同意</button> '
        '<button type="submit" name="decision" value="deny">拒绝</button></form>'
    )
    return _page("授权确认", body)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return _page("无法继续 (cannot continue)", _error(message), status)


def signed_out_page() -> HTMLResponse:
    return _page("已退出登录", "<p>You are signed out.</p>")


def logout_confirm_page(
    *, action: str, csrf: str, client_name: str | None, keep: dict[str, str | None]
) -> HTMLResponse:
    """Asks before signing out when the request cannot prove it comes from the session's own client."""
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in keep.items() if v is not None
    )
    who = f" ({escape(client_name)})" if client_name else ""
    body = (
        f"<p>要退出统一身份认证吗？{who} (sign out of every service of the platform?)</p>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">{fields}'
        '<button type="submit">退出登录 (sign out)</button></form>'
    )
    return _page("确认退出", body)
