"""What a front-end sends the gateway on a person's behalf: their address, so that the gateway's
per-address limits and logs see each person rather than the portal replica all of them come through."""

from __future__ import annotations

import httpx
from starlette.requests import Request

from gov_web.gateway import Gateway


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
