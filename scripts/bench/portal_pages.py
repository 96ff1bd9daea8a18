"""The internet portal's pages at 50 connections (wrk) on the platform ``make run`` starts (embedded default):
the home page, a search, an item guide and a signed-in person's space (three API calls through the gateway
with the session's token), each with its first-visit weight (the page and the assets it names, as sent).

    uv run python scripts/bench/portal_pages.py [--seconds 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Mapping
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from tools import apt_install, best_of  # scripts/bench, the script's folder

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import citizen_journey  # noqa: E402
import harness  # noqa: E402
from identity_flows import DEMO_PASSWORD  # noqa: E402

# No rate limits (every page call comes from the portal's one address) and a session cookie wrk can replay
# over plain HTTP (httpx keeps no Secure cookie for http:// either).
ENV = {"GATEWAY_RATE_LIMIT_PER_ADDRESS": "0", "GATEWAY_RATE_LIMIT_PER_CLIENT": "0", "PORTAL_COOKIE_SECURE": "false"}
COOKIE = "gov_portal_session"
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def signed_in_cookie(portal: str, username: str, password: str) -> str:
    """The portal session of ``username`` after signing in through identity's form (what a browser does)."""
    with httpx.Client(timeout=60, follow_redirects=True) as browser:
        page = browser.get(f"{portal}/login", params={"next": "/me"})
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)
        assert action and request_id, page.text[:300]
        done = browser.post(
            str(page.url.join(unescape(action[1]))),
            data={"request_id": unescape(request_id[1]), "username": username, "password": password},
        )
        assert done.url.path == "/me" and done.status_code == 200, (done.url, done.status_code)
        value = browser.cookies.get(COOKIE)
        assert value, "no portal session"
        return str(value)


def first_visit_bytes(url: str, headers: Mapping[str, str] | None = None) -> int:
    """The page and every asset it names, as sent (compressed if the server compresses)."""
    with httpx.Client(timeout=30) as client:
        page = client.get(url, headers=headers)
        total = len(page.content)
        for path in sorted(set(ASSET.findall(page.text))):
            total += len(client.get(str(page.url.join(path))).content)
    return total


def measure(platform: harness.Platform, seconds: int, connections: int, rounds: int) -> dict[str, Any]:
    setup = citizen_journey.prepare(platform)
    setup.staff.close()
    portal = platform.portal
    cookie = {"Cookie": f"{COOKIE}={signed_in_cookie(portal, 'zhangsan', DEMO_PASSWORD)}"}
    targets: dict[str, tuple[str, Mapping[str, str] | None]] = {
        "home /": (f"{portal}/", None),
        "search": (f"{portal}/search?q={quote(citizen_journey.SEARCH)}", None),
        "item guide": (f"{portal}/items/{setup.item_code}", None),
        "personal space /me": (f"{portal}/me", cookie),
    }
    weights = {name: first_visit_bytes(url, headers) for name, (url, headers) in targets.items()}
    return {"best": best_of(targets, seconds, connections, rounds), "bytes": weights}


def bench_portal(seconds: int, connections: int, rounds: int) -> dict[str, Any]:
    apt_install("wrk")
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp, harness.embedded_platform(Path(tmp), **ENV) as p:
        p.start("portal")
        results = measure(p, seconds, connections, rounds)
    return {"seconds": seconds, "connections": connections, "rounds": rounds, **results}


def portal_lines(results: Mapping[str, Any]) -> list[str]:
    lines = [
        f"### Portal pages at {results['connections']} connections, embedded default "
        f"(wrk, best of {results['rounds']} × {results['seconds']} s)",
        "| page | requests/s | p50 ms | p99 ms | non-2xx/3xx | first visit, bytes |",
        "|---|---|---|---|---|---|",
    ]
    for name, b in results["best"].items():
        lines.append(
            f"| {name} | {b['rps']:,.0f} | {b['p50_ms']:.1f} | {b['p99_ms']:.1f} | {b['non_2xx']:.0f} | "
            f"{results['bytes'][name]:,} |"
        )
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results = bench_portal(args.seconds, args.connections, args.rounds)
    print(json.dumps(results, indent=2))
    print("\n".join(portal_lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
