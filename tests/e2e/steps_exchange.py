"""An external system's side of the data exchange: a platform admin registers a city platform (an OAuth client
at identity, a registry entry at exchange), the city platform pulls catalog changes and pushes cases, and a
webhook receiver on loopback takes the signed deliveries as the city platform's server would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness import Platform
from identity_flows import client_credentials
from steps_people import Person, browser


@dataclass
class Delivery:
    """One webhook request as the receiver got it: lower-cased headers and the raw body."""

    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class WebhookReceiver:
    """The city platform's webhook endpoint: answers 503 to the first ``fail_first`` requests (to see a
    retry), then 204, and keeps every request."""

    url: str
    fail_first: int = 0
    received: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            answered = 503 if len(self.received) < self.fail_first else 204
            self.received.append(Delivery(headers, body, answered))
            return answered

    def deliveries(self) -> list[Delivery]:
        with self.lock:
            return list(self.received)


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[WebhookReceiver]:
    """A real HTTP server on a free loopback port for the length of the block."""
    holder: list[WebhookReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status = holder[0].take({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows the test's assertions, not the access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(WebhookReceiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/gov", fail_first=fail_first))
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class CitySystem:
    """A registered city platform: its OAuth client at identity and its registry entry at exchange."""

    client_id: str
    client_secret: str
    identifier: str
    registry: dict[str, Any]

    def sign_in(self, platform: Platform, scope: str) -> Person:
        client = browser(platform)
        return Person(self.identifier, client, client_credentials(client, self.client_id, self.client_secret, scope))


def register_city_platform(
    admin: Person, identifier: str, region: str, department: str, *, client_scopes: list[str], granted: list[str]
) -> CitySystem:
    """The admin creates the OAuth client (its secret is shown once) with ``client_scopes`` and registers the
    system at exchange with ``granted``: exchange lets a call through only with a scope in both."""
    created = admin.post(
        "/api/identity/v1/clients",
        json={
            "name": f"{identifier} (e2e)",
            "auth_method": "client_secret_basic",
            "grant_types": ["client_credentials"],
            "scopes": client_scopes,
            "region": region,
        },
    )
    assert created.status_code == 201, created.text
    client = created.json()
    assert client["client_secret"] and sorted(client["scopes"]) == sorted(client_scopes), client
    entry = {
        "identifier": identifier,
        "name": "城市政务服务平台 (e2e)",
        "kind": "city_platform",
        "region": region,
        "department": department,
        "client_id": client["client_id"],
        "scopes": granted,
    }
    registered = admin.post("/api/exchange/v1/systems", json=entry)
    assert registered.status_code == 201, registered.text
    assert registered.json()["active"] is True and registered.json()["scopes"] == sorted(granted)
    again = admin.post("/api/exchange/v1/systems", json=entry)  # a retried registration is the same one
    assert again.status_code == 201 and again.json()["id"] == registered.json()["id"], again.text
    return CitySystem(client["client_id"], client["client_secret"], identifier, registered.json())


def pull_all(city: Person, since: int) -> tuple[list[dict[str, Any]], int]:
    """Every catalog change after ``since``, following ``has_more``; the changes and the next cursor."""
    changes: list[dict[str, Any]] = []
    while True:
        page = city.get("/api/exchange/v1/catalog/changes", params={"since": since, "limit": 200})
        assert page.status_code == 200, page.text
        body = page.json()
        assert [c["seq"] for c in body["items"]] == sorted(c["seq"] for c in body["items"])
        assert all(c["seq"] > since for c in body["items"]), body
        changes += body["items"]
        since = body["next_since"]
        if not body["has_more"]:
            return changes, since
