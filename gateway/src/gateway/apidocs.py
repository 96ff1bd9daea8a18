"""The API reference at ``/api/docs`` (Swagger UI over the merged document), every asset served by the
gateway itself: a government network often has no route to a CDN, and a page that loads nothing from
elsewhere can keep a strict Content-Security-Policy.

Swagger UI's bundle, stylesheet and favicon are the files the ``fastapi-offline`` package ships (pinned in
``uv.lock``); the initialiser is ours (``static/swagger-init.js``), so the page has no inline script or style.
Only the files named in :data:`ASSETS` are served, by Starlette's ``StaticFiles`` (ETag, 304).
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from gov_common.errors import problem_response

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"

_SWAGGER = Path(str(resources.files("fastapi_offline") / "static"))
_OWN = Path(__file__).resolve().parent / "static"
# name under ASSETS_URL -> the folder it is read from
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": _SWAGGER,
    "swagger-ui.css": _SWAGGER,
    "favicon.png": _SWAGGER,
    "swagger-init.js": _OWN,
}

# The page loads scripts and styles from the gateway only; Swagger UI's stylesheet draws icons from data:
# URIs, and "Try it out" fetches the API (same origin) and shows image answers as blob: URLs.
DOCS_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
_ASSET_CACHE = (b"cache-control", b"no-cache")  # revalidated (ETag, 304): a new package version shows at once


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """The Swagger UI page: no inline script or style, every URL on this origin."""
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" type="image/png" href="{ASSETS_URL}/favicon.png">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_URL}/swagger-init.js"></script>
</body>
</html>
"""
    return HTMLResponse(
        html,
        headers={"Content-Security-Policy": DOCS_CSP, "X-Frame-Options": "DENY", "Cache-Control": "no-cache"},
    )


class DocsAssets:
    """ASGI app mounted at :data:`ASSETS_URL`: the files of :data:`ASSETS`, anything else a 404 problem."""

    def __init__(self) -> None:
        self._folders = {folder: StaticFiles(directory=folder) for folder in set(ASSETS.values())}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path"].removeprefix(ASSETS_URL).removeprefix("/")
        folder = ASSETS.get(name)
        if folder is None or scope["method"] not in ("GET", "HEAD"):
            response = problem_response(status=404, slug="not-found", detail="No such asset of the API reference")
            await response(scope, receive, send)
            return

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), _ASSET_CACHE]
            await send(message)

        await self._folders[folder]({**scope, "path": "/" + name, "root_path": ""}, receive, send_cached)
