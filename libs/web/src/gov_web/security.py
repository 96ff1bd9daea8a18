"""Security headers on every answer of a web front-end: a strict Content Security Policy (scripts and styles
only from the front-end itself, no inline script or style, no framing, forms posting only to itself and the
gateway's sign-in and payment pages), no sniffing, no referrer across origins, and no caching of pages
that may show personal data."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gov_common.attachments import attachment_headers


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(*form_targets: str, embeds_own_files: bool = False) -> str:
    """The policy; ``form_targets``: other origins a form may post to, or be redirected to after posting
    (browsers check ``form-action`` on the redirects a form submission follows: sign-out goes on to the
    identity provider, paying to the payment channel's page). ``embeds_own_files``: pages may show a PDF the
    front-end itself serves (``<object>``; see :func:`preview_headers`), nothing from elsewhere."""
    targets = " ".join(sorted({origin_of(t) for t in form_targets if t}))
    embeds = ["object-src 'self'", "frame-src 'self'"] if embeds_own_files else []
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            *embeds,
            f"form-action 'self' {targets}".strip(),
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


# What a page may show in place: PDFs and raster images only. HTML, SVG (which runs script) and anything
# else are only ever downloads.
PREVIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg"})
# A PDF shown in its own page's <object>: Chrome's viewer refuses a sandboxed document, so no sandbox; but
# no fetch, no script of the document's own, and framed by this origin's pages only.
PDF_PREVIEW_CSP = "default-src 'none'; frame-ancestors 'self'"


def preview_headers(name: str | None, *, media_type: str, fallback: str = "preview") -> dict[str, str]:
    """The headers of a file shown inside a front-end's own page (``inline``), for :data:`PREVIEWABLE`
    types only (``ValueError`` otherwise); the rest as :func:`gov_common.attachments.attachment_headers`
    (no sniffing, same origin only, not cached)."""
    if media_type not in PREVIEWABLE:
        raise ValueError(f"{media_type} is never shown inline")
    headers = attachment_headers(name, media_type=media_type, fallback=fallback)
    headers["Content-Disposition"] = "inline" + headers["Content-Disposition"].removeprefix("attachment")
    if media_type == "application/pdf":
        headers["Content-Security-Policy"] = PDF_PREVIEW_CSP
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, csp: str, hsts: bool) -> None:
        self.app = app
        self.csp = csp
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self.csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                if static:
                    headers.setdefault("Cache-Control", "public, max-age=86400")
                else:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
