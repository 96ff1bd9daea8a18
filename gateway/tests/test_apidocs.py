"""The API reference at /api/docs works without a route out: every asset it references is served by the
gateway (nothing absolute, nothing elsewhere), its Content-Security-Policy admits nothing but this origin,
and headless Chromium that can reach nothing but loopback renders every operation of the merged document."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from gateway.apidocs import ASSETS, ASSETS_URL, DOCS_CSP
from gateway.main import route_labels


class References(HTMLParser):
    """Every URL an HTML page makes the browser load or follow (src, href, srcset, data, action, poster)."""

    ATTRIBUTES = frozenset({"src", "href", "data", "action", "poster", "formaction"})

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in self.ATTRIBUTES:
                self.urls.append((tag, value))
            elif name == "srcset":
                self.urls.extend((tag, part.split()[0]) for part in value.split(",") if part.strip())
            elif name == "style" or name.startswith("on"):
                self.inline_styles += name == "style"
                self.inline_scripts += name.startswith("on")
        if tag == "style":
            self.inline_styles += 1
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+["']([^"']+)""")


def css_urls(css: str) -> list[str]:
    return [next(g for g in match.groups() if g is not None) for match in _CSS_URL.finditer(css)]


def external(url: str) -> bool:
    """An absolute URL (a scheme, or ``//host``) that is not a ``data:`` URI: something from elsewhere."""
    parts = urlsplit(url)
    return url.startswith("//") or (bool(parts.scheme) and parts.scheme != "data")


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


async def test_every_asset_of_the_page_is_served_by_the_gateway(platform, client: httpx.AsyncClient) -> None:
    page_url = f"{platform.gateway}/api/docs"
    page = await client.get(page_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    refs = References()
    refs.feed(page.text)
    assert refs.inline_scripts == 0 and refs.inline_styles == 0, "the CSP admits no inline script or style"
    tags = {tag for tag, _ in refs.urls}
    assert {"script", "link"} <= tags, refs.urls
    assert not [url for _, url in refs.urls if external(url)], refs.urls

    fetched: dict[str, httpx.Response] = {}
    for _, url in refs.urls:
        absolute = urljoin(page_url, url)
        assert urlsplit(absolute).netloc == urlsplit(page_url).netloc
        resp = await client.get(absolute)
        assert resp.status_code == 200, (url, resp.status_code)
        assert resp.headers["x-content-type-options"] == "nosniff"
        fetched[urlsplit(absolute).path] = resp
    assert set(fetched) == {f"{ASSETS_URL}/{name}" for name in ASSETS}, "every served asset is used, and only those"
    assert fetched[f"{ASSETS_URL}/swagger-ui-bundle.js"].headers["content-type"].split(";")[0].endswith("javascript")
    assert fetched[f"{ASSETS_URL}/swagger-ui.css"].headers["content-type"].startswith("text/css")
    assert fetched[f"{ASSETS_URL}/favicon.png"].content.startswith(b"\x89PNG")
    assert b"SwaggerUIBundle" in fetched[f"{ASSETS_URL}/swagger-ui-bundle.js"].content

    # The stylesheet's own references: icons as data: URIs, nothing fetched from elsewhere.
    inside = css_urls(fetched[f"{ASSETS_URL}/swagger-ui.css"].text)
    assert inside and not [url for url in inside if external(url)], inside
    # Our initialiser names no host either (it reads the document's URL from the page).
    assert not re.search(r"https?://|//[a-z]", fetched[f"{ASSETS_URL}/swagger-init.js"].text)
    assert '"/api/openapi.json"' in page.text


async def test_the_docs_page_has_a_strict_content_security_policy(platform, client: httpx.AsyncClient) -> None:
    page = await client.get(f"{platform.gateway}/api/docs")
    assert page.headers["content-security-policy"] == DOCS_CSP
    csp = directives(page.headers["content-security-policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"], "no inline script, no eval, no other host"
    assert csp["style-src"] == ["'self'"]
    for name, sources in csp.items():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(sources), name
        assert all(s.startswith("'") or s in {"data:", "blob:"} for s in sources), (name, sources)
    assert csp["frame-ancestors"] == ["'none'"] and page.headers["x-frame-options"] == "DENY"
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_assets_revalidate_with_their_etag(platform, client: httpx.AsyncClient) -> None:
    url = f"{platform.gateway}{ASSETS_URL}/swagger-ui.css"
    first = await client.get(url)
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"]
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    changed = await client.get(url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == first.content


@pytest.mark.parametrize(
    "path",
    [
        f"{ASSETS_URL}/redoc.standalone.js",  # in the package's folder, but not an asset of the page
        f"{ASSETS_URL}/",
        f"{ASSETS_URL}/core.py",
        f"{ASSETS_URL}/swagger-ui.css/x",
        f"{ASSETS_URL}/SWAGGER-UI.CSS",
        f"{ASSETS_URL}/..%2F__init__.py",
        f"{ASSETS_URL}/%2e%2e/%2e%2e/main.py",
        f"{ASSETS_URL}/..%5Cmain.py",
        f"{ASSETS_URL}/swagger-ui.css%00.js",
    ],
)
async def test_nothing_else_is_served_under_the_assets(platform, client: httpx.AsyncClient, path: str) -> None:
    resp = await client.get(httpx.URL(platform.gateway + path.split("%", 1)[0]).copy_with(raw_path=path.encode()))
    assert resp.status_code in (400, 404), (path, resp.status_code)
    assert resp.headers["content-type"] == "application/problem+json"


async def test_assets_take_no_writes(platform, client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{platform.gateway}{ASSETS_URL}/swagger-ui.css", content=b"x")
    assert resp.status_code in (404, 405)
    assert (await client.get(f"{platform.gateway}{ASSETS_URL}/swagger-ui.css")).status_code == 200


def test_the_assets_count_as_one_metrics_route() -> None:
    label = route_labels(["alpha"])
    assert label({"path": f"{ASSETS_URL}/swagger-ui-bundle.js"}) == ASSETS_URL
    assert label({"path": f"{ASSETS_URL}/anything-else"}) == ASSETS_URL, "however many names callers try"
    assert label({"path": "/api/docs"}) == "/api/docs"
    assert label({"path": "/api/docsx"}) == "unmatched"


# ---------------------------------------------------------------- a real browser without a route out


ROOT = Path(__file__).resolve().parents[2]


def chromium() -> str:
    """Debian's chromium, installed when missing by the project's scripts/browser.sh (as the portal's browser
    tests get it)."""
    out = subprocess.run([str(ROOT / "scripts" / "browser.sh")], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def headless_dom(url: str, profile: Path) -> tuple[str, list[str]]:
    """The DOM of ``url`` after Chromium ran its scripts, and the console messages it logged. The browser
    reaches loopback only: every host name resolves to nothing and every other address goes to a closed
    proxy port."""
    proc = await asyncio.create_subprocess_exec(
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{closed_port()}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=20000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    console = [line for line in err.decode(errors="replace").splitlines() if ":CONSOLE" in line]
    return out.decode(), console


async def test_headless_chromium_without_a_route_out_renders_every_operation(
    platform, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    doc = (await client.get(f"{platform.gateway}/api/openapi.json")).json()
    operations = [
        (method, path, op["tags"][0], op["operationId"])
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert {tag for *_, tag, _ in operations} == {"alpha", "beta"} and len(operations) >= 8

    dom, console = await headless_dom(f"{platform.gateway}/api/docs", tmp_path / "profile")

    assert 'class="swagger-ui' in dom, dom[:2000]
    for method, path, tag, operation_id in operations:
        block = re.search(rf'<div class="opblock opblock-{method}[^"]*" id="operations-{tag}-{operation_id}">', dom)
        assert block, (method, path)
        assert f'data-path="{path}"' in dom[block.end() : block.end() + 4000], (method, path)
    # Nothing refused by the CSP, nothing that failed to load (which is how a CDN asset would show).
    assert not [line for line in console if "violates" in line or "Failed to load" in line or "ERR_" in line], console


@pytest.mark.parametrize("page", ["/docs", "/docs/oauth2-redirect", "/redoc"])
async def test_no_services_own_api_page_is_forwarded(platform, client: httpx.AsyncClient, page: str) -> None:
    """A service's FastAPI pages load Swagger UI and ReDoc from a CDN: not served through the gateway, even
    to a caller with a token (the upstream has them)."""
    assert (await client.get(f"{platform.alpha}{page}")).status_code == 200
    token = platform.issuer.headers("citizen-1", kind="citizen")
    resp = await client.get(f"{platform.gateway}/api/alpha{page}", headers=token)
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
    assert "cdn" not in resp.text
