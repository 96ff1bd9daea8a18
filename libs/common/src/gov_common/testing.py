"""Helpers for the tests of every service: fresh PostgreSQL databases, service apps on real servers.

Imported by tests only; it depends on nothing a production process would not already have.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine

from gov_common.auth import JWKSCache, RevocationList, TokenVerifier
from gov_common.db import Database
from gov_common.scopes import default_for

# The import names of the services, in start-up order (identity first: the others fetch its keys).
SERVICES = (
    "identity",
    "catalog",
    "application",
    "workflow",
    "certificates",
    "payment",
    "exchange",
    "evaluation",
    "hall",
    "hotline",
)


@asynccontextmanager
async def fresh_pg_database(admin_dsn: str) -> AsyncIterator[str]:
    """An empty PostgreSQL database for one test; yields its SQLAlchemy (asyncpg) URL, drops it after."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextmanager
def recorded_statements() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """The (SQL, parameters) every engine sends inside the block: to count them, or to EXPLAIN exactly what a
    service ran (on PostgreSQL the parameters are positional, ``$1``...)."""
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, tuple(parameters or ())))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@asynccontextmanager
async def database_with(url: str, *metadata: MetaData) -> AsyncIterator[Database]:
    """A :class:`Database` at ``url`` with the tables of ``metadata`` created."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for md in metadata:
                await conn.run_sync(md.create_all)
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def serve_lifespan(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan (migrations, relay, consumers) and yield a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


async def check_service_boots(app: FastAPI, *, title: str) -> None:
    """What every service must do from the first day: migrate, answer health, serve its OpenAPI and
    answer problem+json for an unknown route."""
    async with serve_lifespan(app) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        spec = await client.get("/openapi.json")
        unknown = await client.get("/v1/no-such-thing")
        runtime = app.state.runtime
        async with runtime.db.transaction() as session:
            version = await session.scalar(text("SELECT version_num FROM alembic_version"))
            outbox = await session.scalar(text("SELECT count(*) FROM outbox_event"))
    assert health.status_code == 200, health.text
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "event_bus": "ok"}
    assert spec.json()["info"]["title"] == title
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert version, "migrations ran"
    assert outbox == 0


class TcpProxy:
    """A loopback TCP forwarder that a test can cut (and restore) to make a server unreachable."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


class TestIssuer:
    """Signs access tokens the way svc-identity does and serves its JWKS in-process, so a service's tests
    can act as any principal. ``install(app)`` points the app's token verifier at it."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, issuer: str = "https://test.gov/api/identity", audience: str = "gov-platform") -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys: dict[str, ECKey] = {}
        self.jwks_app = FastAPI()
        self.jwks_app.get("/jwks")(self._jwks)
        self.jwks_app.get("/v1/revocations")(self._revocations)
        self.revoked_jtis: set[str] = set()
        self.ended_sids: set[str] = set()
        self.rotate("test-1")

    def rotate(self, kid: str) -> ECKey:
        key = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
        self.keys[kid] = key
        self.current = kid
        return key

    async def _jwks(self) -> dict[str, Any]:
        return dict(KeySet(list(self.keys.values())).as_dict(private=False))

    async def _revocations(self) -> dict[str, Any]:
        return {"jtis": sorted(self.revoked_jtis), "sids": sorted(self.ended_sids)}

    def verifier(
        self, *, leeway_seconds: int = 30, revocation_refresh_seconds: float | None = None, **cache_options: Any
    ) -> TokenVerifier:
        """A verifier trusting this issuer; with ``revocation_refresh_seconds`` it also polls the issuer's
        revocation list (``revoked_jtis``, ``ended_sids``) as the services poll identity's."""
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.jwks_app), base_url="http://identity")
        cache = JWKSCache("http://identity/jwks", client=client, **cache_options)
        revocations = None
        if revocation_refresh_seconds is not None:
            revocations = RevocationList(
                "http://identity/v1/revocations", refresh_seconds=revocation_refresh_seconds, client=client
            )
        return TokenVerifier(
            cache, issuer=self.issuer, audience=self.audience, leeway_seconds=leeway_seconds, revocations=revocations
        )

    def install(self, app: FastAPI) -> None:
        app.state.token_verifier = self.verifier()

    def token(
        self,
        subject: str = "user-1",
        *,
        kind: str = "citizen",
        roles: Sequence[str] = (),
        scopes: Sequence[str] | None = None,
        region: str | None = None,
        department: str | None = None,
        ttl_seconds: int = 300,
        kid: str | None = None,
        key: ECKey | None = None,
        **claims: Any,
    ) -> str:
        """A signed access token; ``key`` signs with another key than the published one (forgery tests).
        Without ``scopes`` it holds what a first-party client gives ``kind`` (gov_common.scopes.default_for)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "kind": kind,
            "roles": list(roles),
            "scope": " ".join(sorted(default_for(kind)) if scopes is None else scopes),
            "acr": "1",
        }
        if region is not None:
            payload["region"] = region
        if department is not None:
            payload["department"] = department
        payload.update(claims)
        kid = kid or self.current
        return jwt.encode({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, payload, key or self.keys[kid])

    def headers(self, subject: str = "user-1", **kwargs: Any) -> dict[str, str]:
        """``Authorization`` header for a token made by :meth:`token`."""
        return {"Authorization": f"Bearer {self.token(subject, **kwargs)}"}


async def eventually(
    probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0, every: float = 0.25
) -> None:
    """Wait until ``probe()`` is true; fail the test with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve_on_port(app: Any, port: int = 0, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan included) with uvicorn on a loopback port for the block; yields its base URL.
    For apps that must be reached over real HTTP (callbacks, proxies). ``options`` go to ``uvicorn.Config``
    (e.g. ``proxy_headers``, ``forwarded_allow_ips``)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
        **options,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        await task
