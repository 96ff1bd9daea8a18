"""Outbound HTTP to addresses that external systems name (webhook URLs): public addresses only (SSRF).

A check of a host name's addresses before the request and the request's own DNS lookup are two lookups: a
name that answers a public address to the first and a private one to the second (DNS rebinding) would pass.
So the check happens where the connection is made: :class:`PublicOnlyBackend` is httpcore's network
backend, it resolves the name once, refuses if any address is not public, and connects to an address it
checked. TLS still names the host (httpcore passes the URL's host as the server name for SNI and
certificate verification) and the Host header is the URL's, so nothing else changes for the receiver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

REFUSED = "address not allowed"

Resolver = Callable[[str, int], Awaitable[list[str]]]


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d, and :: and ::1


def non_public(address: str) -> bool:
    """Whether an IP address is anything but a public unicast one (loopback, private, link-local and the
    cloud metadata address, carrier-grade NAT, unspecified, multicast, documentation, reserved, site-local),
    looking through the IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo): each is
    judged by the IPv4 address it reaches."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _IPV4_COMPATIBLE or ip.is_site_local:
            return True
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is None and any(ip in net for net in _NAT64):
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None:
            return non_public(str(carried))
    return not ip.is_global or ip.is_multicast


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Connects over TCP to public addresses only, to an address it resolved and checked itself."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None, resolve: Resolver = system_resolver):
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolve = resolve

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout  # one budget for DNS and every address
        try:
            addresses = await asyncio.wait_for(self._resolve(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"{REFUSED}: {host} does not resolve") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{REFUSED}: {host} does not resolve")
        for address in addresses:
            if non_public(address):
                raise httpcore.ConnectError(f"{REFUSED}: {host} resolves to the non-public address {address}")
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host} took longer than {timeout} s")
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=left, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(f"{REFUSED}: a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request and error handling, pooling, TLS) whose connection pool makes
    connections through :class:`PublicOnlyBackend`; never through a proxy from the environment, which would
    make the connection for us."""

    def __init__(self, backend: PublicOnlyBackend | None = None, *, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # SSL_CERT_FILE / SSL_CERT_DIR still name extra CAs (receivers with certificates of a government CA);
        # proxies from the environment cannot apply: the pool below has none.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        self._pool = httpcore.AsyncConnectionPool(  # what httpx builds, with our network backend
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=True),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend or PublicOnlyBackend(),
        )
