"""Server-side sessions: the browser holds only a random token in an HttpOnly, SameSite=Lax (and Secure)
cookie; what a session holds (tokens, CSRF secret, pending sign-ins) lives in the front-end's own database
under the token's SHA-256, so a session survives a restart and is the same on every replica, and a leaked
database row does not give the cookie.

:class:`SessionMiddleware` loads the session of a request (``request.state.session``) and, when the request
changed it, saves it before the response starts and (re)sets the cookie.

One browser sends several requests of a session at once (two tabs, a page and the previews it embeds), so a
save writes only the keys its request set or removed, merged into the stored row under its lock: a request
that loaded the session earlier cannot put back what another one changed meanwhile (a flash message, a
form's errors, or the tokens a refresh rotated, whose old refresh token presented again would revoke the
sign-in)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gov_common.db import Database, UtcDateTime, new_metadata

metadata = new_metadata()
web_session = sa.Table(
    "web_session",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie's token, hex
    sa.Column("subject", sa.String(64), nullable=True, index=True),  # the signed-in account, for "sign out everywhere"
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)
# The session is written again when it is older than this, to slide its idle expiry without a write per request.
TOUCH_SECONDS = 300
_REMOVED = object()  # in WebSession's changes: the key was removed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class WebSession:
    """One browser's session. ``data`` is plain JSON; set :attr:`modified` (or use the helpers) to save."""

    def __init__(self, token: str | None, data: dict[str, Any], created_at: datetime, expires_at: datetime | None):
        self.token = token
        self.data = data
        self.created_at = created_at
        self.expires_at = expires_at
        self.modified = False
        self.rotated_from: str | None = None
        self.ended = False
        # What this request set (the value) or removed (_REMOVED), to merge into the stored row at save.
        self.changes: dict[str, Any] = {}

    @property
    def is_new(self) -> bool:
        return self.token is None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.changes[key] = value
        self.modified = True

    def pop(self, key: str, default: Any = None) -> Any:
        if key in self.data:
            self.modified = True
            self.changes[key] = _REMOVED
        return self.data.pop(key, default)

    def merged_into(self, stored: dict[str, Any]) -> dict[str, Any]:
        """``stored`` (the row as it is now) with this request's changes applied."""
        data = dict(stored)
        for key, value in self.changes.items():
            if value is _REMOVED:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    def rotate(self) -> None:
        """A new token for the same data (at sign-in: a token planted before sign-in becomes worthless)."""
        if self.token is not None and self.rotated_from is None:
            self.rotated_from = self.token
        self.token = None
        self.created_at = _now()
        self.modified = True

    def end(self) -> None:
        """Forget the session (sign-out): its row is deleted and the cookie cleared."""
        self.ended = True
        self.data = {}
        self.modified = True

    @property
    def subject(self) -> str | None:
        user = self.data.get("user")
        return str(user["sub"]) if isinstance(user, dict) and user.get("sub") else None


class SessionStore:
    def __init__(self, db: Database, *, idle_seconds: int, max_seconds: int) -> None:
        self.db = db
        self.idle = timedelta(seconds=idle_seconds)
        self.max = timedelta(seconds=max_seconds)

    def new(self) -> WebSession:
        return WebSession(None, {}, _now(), None)

    async def load(self, token: str) -> WebSession | None:
        if not token or len(token) > 100:
            return None
        async with self.db.read() as session:
            row = (await session.execute(sa.select(web_session).where(web_session.c.id == _digest(token)))).first()
        if row is None or row.expires_at <= _now():
            return None
        return WebSession(token, dict(row.data), row.created_at, row.expires_at)

    def _expiry(self, ws: WebSession) -> datetime:
        return min(_now() + self.idle, ws.created_at + self.max)

    def needs_touch(self, ws: WebSession) -> bool:
        return ws.expires_at is not None and ws.expires_at - _now() < self.idle - timedelta(seconds=TOUCH_SECONDS)

    async def save(self, ws: WebSession) -> None:
        """Write ``ws`` (a new token when it has none); a rotated or ended session's old row is deleted."""
        async with self.db.transaction() as session:
            for old in (ws.rotated_from, ws.token if ws.ended else None):
                if old:
                    await session.execute(sa.delete(web_session).where(web_session.c.id == _digest(old)))
            ws.rotated_from = None
            if ws.ended:
                ws.token = None
                return
            ws.expires_at = self._expiry(ws)
            if ws.token is None:
                ws.token = secrets.token_urlsafe(32)
                await session.execute(
                    sa.insert(web_session).values(
                        id=_digest(ws.token),
                        subject=ws.subject,
                        data=ws.data,
                        created_at=ws.created_at,
                        expires_at=ws.expires_at,
                    )
                )
            else:
                row = await _locked_row(session, _digest(ws.token), self.db.is_postgres)
                if row is not None:  # else ended meanwhile (signed out everywhere): not brought back
                    ws.data = ws.merged_into(row.data)
                    await session.execute(
                        sa.update(web_session)
                        .where(web_session.c.id == _digest(ws.token))
                        .values(subject=ws.subject, data=ws.data, expires_at=ws.expires_at)
                    )
        ws.modified = False
        ws.changes = {}

    @asynccontextmanager
    async def locked(self, ws: WebSession) -> AsyncIterator[dict[str, Any] | None]:
        """The stored data of ``ws`` under a row lock (PostgreSQL ``FOR UPDATE``; SQLite's write lock), for a
        change that must not race the same session's other requests on any replica (a token refresh: the
        refresh token rotates, and presenting the old one twice revokes the sign-in). Whatever the block
        leaves in ``ws.data`` is written back."""
        if ws.token is None:
            yield None
            return
        async with self.db.transaction() as session:
            row = await _locked_row(session, _digest(ws.token), self.db.is_postgres)
            if row is None:
                yield None
                return
            ws.data = ws.merged_into(json.loads(json.dumps(row.data)))
            yield ws.data
            await session.execute(
                sa.update(web_session).where(web_session.c.id == _digest(ws.token)).values(data=ws.data)
            )

    async def end_all(self, subject: str) -> int:
        """Delete every session of ``subject`` (sign-out everywhere); how many there were."""
        async with self.db.transaction() as session:
            result = await session.execute(sa.delete(web_session).where(web_session.c.subject == subject))
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge_expired(self) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(sa.delete(web_session).where(web_session.c.expires_at <= _now()))
        return int(getattr(result, "rowcount", 0) or 0)


async def _locked_row(session: AsyncSession, digest: str, postgres: bool) -> Any:
    query = sa.select(web_session).where(web_session.c.id == digest)
    if postgres:
        query = query.with_for_update()
    return (await session.execute(query)).first()


class SessionMiddleware:
    """Loads ``request.state.session`` for every request outside ``skip_prefixes`` (static assets, probes)
    and saves it, with its cookie, when the request changed it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: SessionStore,
        cookie_name: str,
        secure: bool,
        skip_prefixes: tuple[str, ...] = ("/static/", "/healthz", "/readyz", "/metrics"),
    ) -> None:
        self.app = app
        self.store = store
        self.cookie_name = cookie_name
        self.secure = secure
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        token = conn.cookies.get(self.cookie_name, "")
        ws = (await self.store.load(token)) if token else None
        had_cookie = bool(token)
        if ws is None:
            ws = self.store.new()
        scope.setdefault("state", {})["session"] = ws

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                if ws.modified or (not ws.is_new and self.store.needs_touch(ws)):
                    await self.store.save(ws)
                    headers = MutableHeaders(scope=message)
                    headers.append("Set-Cookie", self._cookie(ws.token))
                elif had_cookie and ws.is_new:  # an unknown or expired token: clear it
                    MutableHeaders(scope=message).append("Set-Cookie", self._cookie(None))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, token: str | None) -> str:
        parts = [f"{self.cookie_name}={token or ''}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if token is None:
            parts.append("Max-Age=0")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


def create_session_table() -> None:
    """Create the ``web_session`` table (as :data:`web_session` declares it) from inside a front-end's Alembic
    migration's ``upgrade``, so that every front-end's sessions table is the same."""
    from alembic import op

    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    op.create_index(op.f("ix_web_session_subject"), "web_session", ["subject"])
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"])
