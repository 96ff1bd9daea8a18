"""The canonical path: what is decoded once and accepted, and what is refused as ambiguous."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote, urlsplit

import pytest

from gateway.paths import InvalidPath, canonical, encode


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"/", "/"),
        (b"/api/catalog/v1/items", "/api/catalog/v1/items"),
        (b"/api/catalog/v1/items/", "/api/catalog/v1/items/"),
        (b"/api/c%61talog/v1/%69tems", "/api/catalog/v1/items"),
        (b"/v1/items/a%20b", "/v1/items/a b"),
        (b"/v1/items/abc.", "/v1/items/abc."),
        (b"/v1/items/...", "/v1/items/..."),
        (b"/v1/items/x;y=1", "/v1/items/x;y=1"),
        (b"/v1/regions/%E5%8D%97%E5%AE%81", "/v1/regions/南宁"),
        (b"/v1/a:b@c!$&'()*+,=~-_", "/v1/a:b@c!$&'()*+,=~-_"),
    ],
)
def test_accepted_paths_decode_once_and_go_upstream_unchanged(raw: bytes, path: str) -> None:
    assert canonical(raw) == path
    assert unquote(encode(path)) == path, "the upstream decodes it back to what was checked"


@pytest.mark.parametrize(
    "raw",
    [
        b"api/catalog",
        b"*",
        b"/api/catalog%2Fv1%2Fitems/openapi.json",
        b"/a%2fb",
        b"/a%5Cb",
        b"/a\\b",
        b"/a%252Fb",
        b"/a/../b",
        b"/a/./b",
        b"/a/%2e%2e/b",
        b"/a/.%2E/b",
        b"/a/..",
        b"/a//b",
        b"//a",
        b"/a%00",
        b"/a%0d%0a",
        b"/a%7f",
        b"/a%E2%80%8Bb",
        b"/a%EF%BC%8Fb",
        b"/a/%EF%BC%8E%EF%BC%8E/b",
        b"/a/%E2%80%A5/b",
        b"/a%C0%AFb",
        b"/a%ff",
        b"/a%2",
        b"/a%zz",
        b"/a b",
        b"/a\xc3\xa9",
        b'/a"b',
    ],
)
def test_ambiguous_paths_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidPath):
        canonical(raw)


async def test_the_gateway_answers_400_problem_for_an_ambiguous_path(platform) -> None:
    url = urlsplit(platform.gateway)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(b"GET /api/alpha%2Fv1/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/problem+json" in head.lower()
    assert b'"type":"urn:gov-platform:problem:invalid-path"' in body
    assert b"x-request-id" in head.lower()
