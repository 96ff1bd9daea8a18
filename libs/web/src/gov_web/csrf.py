"""CSRF: one random token per session (synchronizer token), put in every form as ``csrf_token`` and checked
on every unsafe request; a request from another origin (its ``Origin`` header) is refused as well."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

from gov_web.sessions import WebSession

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


class CsrfFailed(Exception):
    """The form carried no valid CSRF token, or came from another origin."""


def token(ws: WebSession) -> str:
    """The session's CSRF token (made on first use; the session is saved with it)."""
    value = ws.get("csrf")
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        ws.set("csrf", value)
    return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def check(request: Request, public_url: str) -> None:
    """Raise :class:`CsrfFailed` unless the request carries the session's token and comes from our origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and _origin(origin) != _origin(public_url):
        raise CsrfFailed("the form was sent from another site")
    ws: WebSession = request.state.session
    expected = ws.get("csrf")
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed("the form's security token is missing or out of date")
