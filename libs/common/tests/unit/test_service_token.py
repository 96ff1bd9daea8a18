"""A service's own client-credentials token: fetched once for concurrent callers, kept until shortly before
it expires, fetched again after that or when forgotten; a refusal raises and keeps nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gov_common import service_token
from gov_common.service_token import ServiceToken


def identity(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.AsyncClient:
    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        await asyncio.sleep(0.01)  # concurrent callers overlap here
        return answers.pop(0)

    return httpx.AsyncClient(base_url="http://identity.test", transport=httpx.MockTransport(handle))


def issued(token: str, expires_in: int = 600) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "token_type": "Bearer", "expires_in": expires_in})


async def test_one_fetch_serves_concurrent_callers_with_basic_auth_and_the_scope() -> None:
    seen: list[httpx.Request] = []
    token = ServiceToken(client_id="svc-hall", client_secret="s3cret", scope="application.cases.lookup")
    async with identity([issued("t1")], seen) as client:
        got = await asyncio.gather(*(token.get(client) for _ in range(5)))
    assert got == ["t1"] * 5 and len(seen) == 1
    request = seen[0]
    assert request.url.path == "/token" and request.headers["authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in request.content and b"scope=application.cases.lookup" in request.content


async def test_a_token_near_its_expiry_or_forgotten_is_fetched_again(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    token = ServiceToken(client_id="c", client_secret="s", scope="identity.holder.read")
    async with identity(
        [issued("short", expires_in=service_token.MARGIN_SECONDS), issued("t2"), issued("t3")], seen
    ) as c:
        assert await token.get(c) == "short"
        assert await token.get(c) == "t2", "a token within the margin of its expiry is not used"
        assert await token.get(c) == "t2"
        token.forget()
        assert await token.get(c) == "t3"
    assert len(seen) == 3


async def test_a_refusal_raises_and_keeps_nothing() -> None:
    seen: list[httpx.Request] = []
    token = ServiceToken(client_id="c", client_secret="wrong", scope="identity.holder.read")
    async with identity([httpx.Response(401, json={"error": "invalid_client"}), issued("ok")], seen) as client:
        with pytest.raises(httpx.HTTPStatusError):
            await token.get(client)
        assert await token.get(client) == "ok"
    assert not ServiceToken(client_id="c", client_secret="", scope="x").configured
