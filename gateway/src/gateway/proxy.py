"""The reverse proxy: ``/api/<service>/<path>`` to ``<upstream>/<path>`` over pooled keep-alive connections
(:mod:`gateway.upstream`).

Bodies stream both ways; only the headers are rewritten (hop-by-hop headers and the caller's claims of
who it is dropped; ``X-Forwarded-*``, ``X-Request-ID`` and the trace context set by the gateway). The
path is the canonical one the edge checked (:mod:`gateway.paths`). Errors before the upstream answers
become problem+json (404 unknown service, 413 body too large, 502 upstream unreachable, 503 its circuit
is open, 504 upstream too slow); once the response has started streaming, an upstream failure can only
close the connection. Reads (GET, HEAD, OPTIONS) are tried again when the upstream could not be reached
or answered 502/503.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator

import aiohttp
from opentelemetry import propagate
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.limits import CircuitBreaker, retry_after
from gateway.settings import GatewaySettings
from gateway.upstream import (
    Origin,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
)
from gov_common.errors import problem_response
from gov_common.requestid import current_request_id, incoming_or_new

log = logging.getLogger(__name__)

# RFC 9110 section 7.6.1; any header named in Connection is dropped as well.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Set by the gateway itself rather than copied from the caller. Expect: the gateway has already
# answered 100-continue to its caller; passing it on would only make the upstream send one more.
_REQUEST_REPLACED = frozenset({b"host", b"x-request-id", b"expect"})
# Who the client is, as told by whoever sent the request: a caller could name any address in them, so
# none goes upstream (every X-Forwarded-* included); the gateway writes X-Forwarded-For/-Proto/-Host itself.
_CLIENT_CLAIMS = frozenset({b"forwarded", b"x-real-ip", b"true-client-ip", b"x-client-ip", b"client-ip"})
# The gateway's server writes its own Date and Server headers; two of each would be invalid.
_RESPONSE_REPLACED = frozenset({b"date", b"server", b"x-request-id"})
# The session of the gateway's own calls (readiness, OpenAPI) adds no headers the caller never sent.
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
# Methods that are safe to send again (RFC 9110 section 9.2.2; PUT and DELETE are left out on purpose:
# the platform's writes are not all idempotent).
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# Upstream statuses that count against its circuit breaker (502 and 503 are also retried).
_UPSTREAM_FAILED = frozenset({502, 503, 504})
# Responses longer than this (or of unknown length) are watched for the caller going away.
_WATCH_DISCONNECT_ABOVE = 1024 * 1024


class BodyTooLarge(Exception):
    """The caller's body grew past ``max_body_bytes`` while it was being streamed."""


class _CallerGone(Exception):
    """The caller disconnected before it had sent its whole body."""


class _BodyStream:
    """The caller's body as an async iterable for the upstream, cut off once it passes ``limit`` bytes."""

    __slots__ = ("done", "failure", "limit", "request")

    def __init__(self, request: Request, limit: int) -> None:
        self.request = request
        self.limit = limit
        self.done = False
        self.failure: Exception | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        seen = 0
        try:
            async for chunk in self.request.stream():
                if not chunk:
                    continue
                seen += len(chunk)
                if seen > self.limit:
                    raise BodyTooLarge(f"the request body is larger than {self.limit} bytes")
                yield chunk
        except BodyTooLarge as exc:
            self.failure = exc
            raise
        except Exception as exc:  # starlette's ClientDisconnect and the like
            self.failure = _CallerGone(str(exc) or type(exc).__name__)
            raise
        finally:
            self.done = True


def _hop_by_hop(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """The names to drop from ``headers`` (lower-case names): the fixed set and those named in Connection."""
    tokens = [value for name, value in headers if name == b"connection"]
    if not tokens:
        return HOP_BY_HOP
    return HOP_BY_HOP.union(t.strip().lower() for value in tokens for t in value.split(b","))


class ProxyResponse(Response):
    """Streams an upstream response to the caller and always gives its connection back (or closes it)."""

    def __init__(
        self,
        upstream: UpstreamResponse,
        headers: list[tuple[bytes, bytes]],
        *,
        upstream_name: str,
        watch_disconnect: bool,
    ) -> None:
        self.status_code = upstream.status
        self.raw_headers = headers
        self.background = None
        self._upstream = upstream
        self._upstream_name = upstream_name
        self._watch_disconnect = watch_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = self._upstream
        watcher = asyncio.ensure_future(self._close_on_disconnect(receive)) if self._watch_disconnect else None
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            chunk = await upstream.read()
            # Look one read ahead so that a body that arrived whole goes out in a single message.
            while chunk and not upstream.at_eof():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await upstream.read()
            await send({"type": "http.response.body", "body": chunk, "more_body": False})
        except (UpstreamError, TimeoutError) as exc:
            # Headers are out: the status can no longer change. Returning without completing the
            # response makes the server close the connection, which tells the caller it is truncated.
            if not upstream.closed or not isinstance(exc, UpstreamConnectionError):
                log.warning(
                    "upstream %s failed while streaming its response: %r",
                    self._upstream_name,
                    exc,
                    extra={"upstream": self._upstream_name},
                )
            upstream.close()
        except OSError:  # the caller went away
            upstream.close()
        finally:
            if watcher is not None:
                watcher.cancel()
            upstream.release()

    async def _close_on_disconnect(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # Unblocks the read loop above; also reached once the response is complete (harmless).
                self._upstream.close()
                return


def _upstream_problem(
    scope: Scope, service: str, status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """A problem about the upstream ``service`` (502, 503, 504)."""
    return problem_response(
        status=status,
        slug=slug,
        title=title,
        detail=detail,
        instance=scope["path"],
        extensions={"upstream": service},
        headers=headers,
    )


class Proxy:
    """Holds the upstream map, the connection pool of every proxied request, and an aiohttp session for
    the gateway's own calls to the upstreams (readiness probes, OpenAPI documents)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.upstreams: dict[str, str] = dict(settings.upstreams)
        self._origins = {name: Origin(url) for name, url in self.upstreams.items()}
        self._session: aiohttp.ClientSession | None = None
        self._pool: UpstreamPool | None = None
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=settings.upstream_timeout_seconds,
            sock_connect=settings.connect_timeout_seconds,
            sock_read=settings.upstream_timeout_seconds,
        )
        self._tracing = settings.tracing
        self._max_body = settings.max_body_bytes
        self._small_body = settings.small_body_bytes
        self._deadline = settings.request_deadline_seconds or None
        self._retries = settings.upstream_retries
        self._backoff = settings.retry_backoff_seconds
        self._breakers = {
            name: CircuitBreaker(
                threshold=settings.breaker_failure_threshold, open_seconds=settings.breaker_open_seconds
            )
            for name in self.upstreams
        }

    async def start(self) -> None:
        """Open the pool and the session; call inside the running event loop (the app's lifespan)."""
        settings = self.settings
        self._pool = UpstreamPool(
            limit=settings.upstream_pool_size,
            limit_per_host=settings.upstream_pool_size_per_host,
            keepalive_seconds=settings.upstream_keepalive_seconds,
            # Waiting for a pooled connection plus opening one; the opening alone.
            acquire_timeout=settings.upstream_timeout_seconds,
            connect_timeout=settings.connect_timeout_seconds,
            # Counted from the end of the request body: until the headers, then between two reads.
            read_timeout=settings.upstream_timeout_seconds,
        )
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=len(self.upstreams) * 4 or 4),
            timeout=self._timeout,
            auto_decompress=False,
            # A shared jar would hand one caller's cookies to the next.
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            trust_env=False,
            raise_for_status=False,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the proxy is not started (the app's lifespan did not run)")
        return self._session

    @property
    def pool(self) -> UpstreamPool:
        if self._pool is None:
            raise RuntimeError("the proxy is not started (the app's lifespan did not run)")
        return self._pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app of ``/api/{service}`` and ``/api/{service}/{path:path}``, for every method."""
        response = await self.handle(scope, receive)
        await response(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive) -> Response:
        """The caller's request sent on to its upstream; the upstream's answer or a problem."""
        path_params = scope["path_params"]
        service: str = path_params["service"]
        origin = self._origins.get(service)
        if origin is None:
            return problem_response(
                status=404,
                slug="not-found",
                detail=f"No service named {service!r}",
                instance=scope["path"],
                extensions={"upstream": service},
            )

        # The canonical path the edge checked (gateway.paths), never the caller's raw bytes.
        target = (origin.base_path + path_params["path"]).encode("ascii")
        query: bytes = scope["query_string"]
        if query:
            target += b"?" + query

        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        drop = _hop_by_hop(raw_headers)
        # The gateway's span becomes the services' parent (when the gateway traces at all).
        trace_headers: dict[str, str] = {}
        if self._tracing:
            propagate.inject(trace_headers)
        traced = {name.encode("latin-1") for name in trace_headers}

        headers: list[tuple[bytes, bytes]] = []
        host = None
        incoming_id = None
        content_length: int | None = None
        chunked = False
        for name, value in raw_headers:
            if name in drop or name.startswith(b"proxy-"):
                if name == b"transfer-encoding":
                    chunked = True
                continue
            if name in _REQUEST_REPLACED or name in _CLIENT_CLAIMS or name.startswith(b"x-forwarded-"):
                if name == b"host":
                    host = value
                elif name == b"x-request-id" and incoming_id is None:
                    incoming_id = value
                continue
            if name == b"content-length":
                content_length = int(value)
            if traced and name in traced:
                continue
            headers.append((name, value))

        client = scope.get("client")
        if client:
            # Overwritten, never appended to: the services (trusting the gateway alone) take this as the
            # client. It is the peer, or when the peer is one of the gateway's trusted proxies
            # (its --forwarded-allow-ips), the right-most address that proxy did not vouch for itself.
            headers.append((b"X-Forwarded-For", client[0].encode("latin-1")))
        headers.append((b"X-Forwarded-Proto", scope.get("scheme", "http").encode("latin-1")))
        if host is not None:
            headers.append((b"X-Forwarded-Host", host))
        # The public prefix the service's own paths live under (problem instance, Location); like the
        # other X-Forwarded-* it is always the gateway's, never the caller's.
        headers.append((b"X-Forwarded-Prefix", b"/api/" + service.encode("ascii")))
        request_id = current_request_id() or incoming_or_new(incoming_id.decode("latin-1") if incoming_id else None)
        headers.append((b"X-Request-ID", request_id.encode("latin-1")))
        headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in trace_headers.items())

        data: bytes | _BodyStream | None = None
        body_stream: _BodyStream | None = None
        if chunked:
            # Transfer-Encoding wins over Content-Length (RFC 9112 section 6.3); the body goes on re-chunked.
            headers = [(k, v) for k, v in headers if k != b"content-length"]
            data = body_stream = _BodyStream(Request(scope, receive), self._max_body)
        elif content_length:
            if content_length > self._max_body:
                return self._too_large(scope, service)
            if content_length <= self._small_body:
                try:
                    data = await Request(scope, receive).body()
                except ClientDisconnect:
                    return self._body_ended_early(scope, service)
            else:
                data = body_stream = _BodyStream(Request(scope, receive), self._max_body)

        breaker = self._breakers[service]
        wait = breaker.check()
        if wait:
            return self._breaker_open(scope, service, wait)
        method: str = scope["method"]
        # A body that is being streamed cannot be sent twice; other methods may have taken effect.
        retries = self._retries if method in IDEMPOTENT and body_stream is None else 0
        pool = self.pool
        verdict = False
        try:
            try:
                async with asyncio.timeout(self._deadline):
                    attempt = 0
                    while True:
                        try:
                            upstream = await pool.request(origin, method, target, headers, data, chunked=chunked)
                        except (UpstreamError, OSError) as exc:  # TimeoutError is an OSError
                            failure = body_stream.failure if body_stream is not None else None
                            if isinstance(failure, BodyTooLarge):
                                return self._too_large(scope, service)
                            if isinstance(failure, _CallerGone):
                                return self._body_ended_early(scope, service)
                            breaker.failed()
                            verdict = True
                            if isinstance(exc, TimeoutError):
                                log.warning("upstream %s timed out: %r", service, exc, extra={"upstream": service})
                                return self._timed_out(scope, service)
                            if attempt < retries and isinstance(exc, (UpstreamConnectionError, ConnectionError)):
                                attempt += 1
                                if await self._pause_before_retry(breaker, attempt):
                                    continue
                            log.warning("upstream %s unreachable: %r", service, exc, extra={"upstream": service})
                            return _upstream_problem(
                                scope,
                                service,
                                502,
                                "bad-gateway",
                                "The service is unreachable",
                                f"{service} could not be reached or closed the connection.",
                            )
                        status = upstream.status
                        verdict = True
                        if status in _UPSTREAM_FAILED:
                            breaker.failed()
                            if attempt < retries and status != 504:
                                attempt += 1
                                if await self._pause_before_retry(breaker, attempt):
                                    upstream.close()
                                    continue
                        else:
                            breaker.succeeded()
                        break
            except TimeoutError:
                if not verdict:
                    breaker.failed()
                    verdict = True
                log.warning("upstream %s missed the request deadline", service, extra={"upstream": service})
                return self._timed_out(scope, service)
        finally:
            if not verdict:
                breaker.abandoned()

        raw = upstream.headers  # lower-case names, as ASGI wants
        drop = _hop_by_hop(raw)
        out = [
            (name, value)
            for name, value in raw
            if name not in drop and name not in _RESPONSE_REPLACED and not name.startswith(b"proxy-")
        ]

        length = upstream.content_length
        watch = (length is None or length > _WATCH_DISCONNECT_ABOVE) and (body_stream is None or body_stream.done)
        return ProxyResponse(upstream, out, upstream_name=service, watch_disconnect=watch)

    async def _pause_before_retry(self, breaker: CircuitBreaker, attempt: int) -> bool:
        """Waits a jittered, doubling pause; ``False`` when the breaker has opened meanwhile."""
        base = self._backoff * 2 ** (attempt - 1)
        await asyncio.sleep(random.uniform(base / 2, base))
        return breaker.check() == 0

    def _timed_out(self, scope: Scope, service: str) -> Response:
        return _upstream_problem(
            scope,
            service,
            504,
            "gateway-timeout",
            "The service did not answer in time",
            f"{service} did not answer in time.",
        )

    def _breaker_open(self, scope: Scope, service: str, wait: float) -> Response:
        return _upstream_problem(
            scope,
            service,
            503,
            "service-unavailable",
            "The service is unavailable",
            f"{service} failed repeatedly; the gateway stops sending it requests for a while.",
            headers={"Retry-After": retry_after(wait)},
        )

    def _body_ended_early(self, scope: Scope, service: str) -> Response:
        # Nobody will read this (the caller is gone); it is for the access log.
        return problem_response(
            status=400,
            slug="bad-request",
            detail="The request body ended early.",
            instance=scope["path"],
            extensions={"upstream": service},
        )

    def _too_large(self, scope: Scope, service: str) -> Response:
        return problem_response(
            status=413,
            slug="payload-too-large",
            title="The request body is too large",
            detail=f"The limit is {self._max_body} bytes.",
            instance=scope["path"],
            extensions={"upstream": service, "max_body_bytes": self._max_body},
        )
