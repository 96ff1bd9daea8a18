"""Which webhook URLs exchange may call (SSRF): the literal check at subscription, and the check where the
connection is made (exchange.egress), which connects to the very address it checked (no DNS rebinding)."""

from __future__ import annotations

from typing import Any

import httpcore
import httpx
import pytest

from exchange.webhooks.egress import REFUSED, PublicOnlyBackend, PublicOnlyTransport
from exchange.webhooks.service import literal_refusal

PUBLIC = "93.184.215.14"


class Stop(httpcore.ConnectError):
    """Ends a request at the fake network once the test has seen what it needs."""


class FakeStream(httpcore.AsyncNetworkStream):
    def __init__(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        raise Stop("read")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.seen["request"] = buffer
        raise Stop("written")

    async def aclose(self) -> None: ...

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> Any:
        self.seen["server_hostname"] = server_hostname
        raise Stop("tls")

    def get_extra_info(self, info: str) -> Any:
        return None


class FakeNetwork(httpcore.AsyncNetworkBackend):
    """Records where it was asked to connect; reaches nothing."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.seen: dict[str, Any] = {}

    async def connect_tcp(self, host: str, port: int, **_: Any) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        return FakeStream(self.seen)

    async def sleep(self, seconds: float) -> None: ...


def answering(*answers: list[str]) -> Any:
    """A resolver giving each answer in turn (a name whose DNS changes between lookups)."""
    queue = list(answers)

    async def resolve(host: str, port: int) -> list[str]:
        return queue.pop(0)

    return resolve


async def post(transport: httpx.AsyncBaseTransport, url: str) -> httpx.ConnectError:
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post(url, content=b"{}")
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8007/v1/systems",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://[::1]/",
        "http://[::ffff:7f00:1]/",  # IPv4-mapped loopback
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
        "http://[64:ff9b:1::a00:5]/",  # local-use NAT64 of 10.0.0.5
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[fec0::1]/",  # site-local
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    ],
)
async def test_non_public_addresses_are_refused(url: str) -> None:
    assert literal_refusal(url)
    network = FakeNetwork()
    refused = await post(PublicOnlyTransport(PublicOnlyBackend(network)), url)  # the machine's own resolver
    assert str(refused).startswith(REFUSED)
    assert network.connected == []


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hooks", "http://[2001:4860:4860::8888]:8443/hooks", "https://[64:ff9b::808:808]/hooks"]
)
async def test_public_addresses_pass(url: str) -> None:
    assert literal_refusal(url) is None
    network = FakeNetwork()
    await post(PublicOnlyTransport(PublicOnlyBackend(network)), url)
    host = httpx.URL(url).host
    assert network.connected == [(host, httpx.URL(url).port or 443)]


async def test_names_are_checked_where_the_connection_is_made() -> None:
    assert literal_refusal("https://hooks.city.example/gov") is None  # no DNS at subscription time
    refused = await post(PublicOnlyTransport(), "https://does-not-exist.invalid/gov")
    assert str(refused) == f"{REFUSED}: does-not-exist.invalid does not resolve"


async def test_the_connection_goes_to_the_address_checked_and_tls_still_names_the_host() -> None:
    """DNS rebinding: a name that answers a public address, then a private one. The first connection goes
    to the public address the check saw (not to a second lookup's answer), with the host name for SNI and
    certificate verification and in the Host header; the next connection, which resolves again, is
    refused before anything is sent."""
    network = FakeNetwork()
    transport = PublicOnlyTransport(PublicOnlyBackend(network, resolve=answering([PUBLIC], ["127.0.0.1"])))
    await post(transport, "https://hooks.city.example/gov")
    assert network.connected == [(PUBLIC, 443)]
    assert network.seen["server_hostname"] == "hooks.city.example"
    refused = await post(transport, "http://hooks.city.example/gov")  # a new connection: DNS again
    assert str(refused) == f"{REFUSED}: hooks.city.example resolves to the non-public address 127.0.0.1"
    assert network.connected == [(PUBLIC, 443)]

    plain = FakeNetwork()
    await post(PublicOnlyTransport(PublicOnlyBackend(plain, resolve=answering([PUBLIC]))), "http://hooks.city.example/")
    assert plain.connected == [(PUBLIC, 80)] and b"Host: hooks.city.example\r\n" in plain.seen["request"]


async def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    network = FakeNetwork()
    backend = PublicOnlyBackend(network, resolve=answering([PUBLIC, "10.1.2.3"]))
    refused = await post(PublicOnlyTransport(backend), "https://hooks.city.example/gov")
    assert "non-public address 10.1.2.3" in str(refused) and network.connected == []


async def test_no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would make the connection on our behalf, unchecked."""
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    network = FakeNetwork()
    await post(
        PublicOnlyTransport(PublicOnlyBackend(network, resolve=answering([PUBLIC]))), "https://hooks.city.example/"
    )
    assert network.connected == [(PUBLIC, 443)]
