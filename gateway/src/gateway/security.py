"""Headers every gateway response carries, and CORS for the configured browser origins only."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))
# Not framed anywhere, unless the upstream wrote its own Content-Security-Policy (the sign-in pages do).
_NO_FRAMING = ((b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'"))
_NO_STORE = (b"cache-control", b"no-store")

# What a browser script may send and read across origins.
CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    "traceparent",
    "tracestate",
)
CORS_EXPOSE_HEADERS = (
    "X-Request-ID",
    "Location",
    "Retry-After",
    "ETag",
    "Idempotent-Replayed",
    "Content-Disposition",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "WWW-Authenticate",
)


class SecurityHeaders:
    """Pure ASGI middleware: nosniff, no referrer, no framing, HSTS over https, and ``no-store`` on the
    answers to requests with credentials (unless the upstream chose its own Cache-Control)."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int) -> None:
        self.app = app
        self.hsts = (b"strict-transport-security", f"max-age={hsts_seconds}".encode()) if hsts_seconds > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentials = any(name == b"authorization" for name, _ in scope["headers"])
        hsts = self.hsts if scope.get("scheme") == "https" else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in _ALWAYS if h[0] not in names)
                if b"content-security-policy" not in names and b"x-frame-options" not in names:
                    headers.extend(_NO_FRAMING)
                if hsts is not None and hsts[0] not in names:
                    headers.append(hsts)
                if credentials and b"cache-control" not in names:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
