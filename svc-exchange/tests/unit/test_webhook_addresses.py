"""Which webhook URLs exchange may call (SSRF): the literal check at subscription and the check after DNS."""

from __future__ import annotations

import pytest

from exchange.webhooks import literal_refusal, resolved_refusal


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
    ],
)
async def test_non_public_addresses_are_refused(url: str) -> None:
    assert literal_refusal(url)
    assert await resolved_refusal(url)


@pytest.mark.parametrize("url", ["https://8.8.8.8/hooks", "http://[2001:4860:4860::8888]:8443/hooks"])
async def test_public_addresses_pass(url: str) -> None:
    assert literal_refusal(url) is None
    assert await resolved_refusal(url) is None  # an IP literal needs no DNS


async def test_names_wait_for_dns() -> None:
    assert literal_refusal("https://hooks.city.example/gov") is None  # checked before each attempt instead
    assert await resolved_refusal("https://does-not-exist.invalid/gov") == "does-not-exist.invalid does not resolve"
