"""What a front-end sends the gateway on a person's behalf: their address, so that the gateway's
per-address limits and logs see each person rather than the portal replica all of them come through."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request

from gov_web.gateway import ApiError, Gateway, problem_text, relay
from gov_web.oidc import SignInRequired


def _page_request(client: tuple[str, int] | None) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/items/x",
        "query_string": b"",
        "headers": [(b"x-forwarded-for", b"198.51.100.9")],  # what a browser might send: not believed here
        "client": client,
        "state": {"session": None},
    }
    return Request(scope)


async def test_the_persons_address_goes_to_the_gateway_and_a_forged_header_does_not() -> None:
    seen: list[httpx.Request] = []

    def answer(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://gateway") as http:
        gateway = Gateway(http, oidc=None)  # type: ignore[arg-type]  # anonymous calls never use it
        await gateway.request(_page_request(("203.0.113.7", 50123)), "GET", "/api/catalog/v1/items", signed_in=False)
        await gateway.request(_page_request(None), "GET", "/api/catalog/v1/items", signed_in=False)
    assert seen[0].headers["x-forwarded-for"] == "203.0.113.7"
    assert "x-forwarded-for" not in seen[1].headers, "no address known: none made up, the browser's not passed on"


class _Session:
    """A session's two keys the gateway drops when the sign-in is gone."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {"tokens": {"access_token": "t"}, "user": {"sub": "s"}}

    def pop(self, key: str) -> object:
        return self.data.pop(key, None)


class _OIDC:
    async def access_token(self, ws: object, back: str) -> str:
        return "the-access-token"


def _signed_in_request() -> tuple[Request, _Session]:
    ws = _Session()
    request = _page_request(("203.0.113.7", 50123))
    request.state.session = ws
    return request, ws


async def test_a_streamed_file_goes_through_the_same_door_and_is_relayed_whole() -> None:
    seen: list[httpx.Request] = []

    def answer(req: httpx.Request) -> httpx.Response:
        seen.append(req)

        async def chunks() -> AsyncIterator[bytes]:  # a body that arrives in parts, as a real one does
            yield b"%PDF-1.7 "
            for _ in range(10):
                yield b"x" * 10_000

        headers = {"content-type": "application/pdf", "content-length": "100009"}
        return httpx.Response(200, content=chunks(), headers=headers)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://gateway") as http:
        gateway = Gateway(http, oidc=_OIDC())  # type: ignore[arg-type]
        request, _ = _signed_in_request()
        upstream = await gateway.stream(request, "GET", "/api/application/v1/applications/a/materials/m/content")
        out = relay(upstream, media_type="application/pdf", headers={"X-Content-Type-Options": "nosniff"})
        got = b"".join([chunk async for chunk in out.body_iterator])  # type: ignore[misc]
    assert seen[0].headers["authorization"] == "Bearer the-access-token"
    assert seen[0].headers["x-forwarded-for"] == "203.0.113.7"
    assert got.startswith(b"%PDF-1.7") and len(got) == 100_009
    assert out.headers["content-length"] == "100009" and out.headers["x-content-type-options"] == "nosniff"
    assert upstream.is_closed


async def test_a_stream_answered_401_sends_the_person_to_sign_in_and_5xx_is_an_api_error() -> None:
    statuses = iter([401, 503])

    def answer(req: httpx.Request) -> httpx.Response:
        return httpx.Response(next(statuses), content=b"{}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://gateway") as http:
        gateway = Gateway(http, oidc=_OIDC())  # type: ignore[arg-type]
        request, ws = _signed_in_request()
        with pytest.raises(SignInRequired):
            await gateway.stream(request, "GET", "/api/x/content")
        assert "tokens" not in ws.data and "user" not in ws.data, "the gone sign-in is forgotten"
        with pytest.raises(ApiError):
            await gateway.stream(request, "GET", "/api/x/content")


async def test_json_reads_a_200_leaves_out_unchosen_filters_and_is_none_otherwise() -> None:
    seen: list[httpx.Request] = []

    def answer(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200 if req.url.path == "/api/ok" else 404, json={"items": [1]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://gateway") as http:
        gateway = Gateway(http, oidc=_OIDC())  # type: ignore[arg-type]
        request, _ = _signed_in_request()
        assert await gateway.json(request, "/api/ok", item="", state=None, limit=20) == {"items": [1]}
        assert await gateway.json(request, "/api/missing") is None
    assert dict(seen[0].url.params) == {"limit": "20"}


def test_problem_text_says_the_detail_else_the_title_else_the_status() -> None:
    assert problem_text(httpx.Response(409, json={"title": "Taken", "detail": "已被认领"})) == "已被认领"
    assert problem_text(httpx.Response(403, json={"title": "Outside your department"})) == "Outside your department"
    assert problem_text(httpx.Response(502, text="<html>bad gateway</html>")) == "502"
