"""The proxy's HTTP/1.1 client against scripted upstreams: raw sockets that answer exactly as told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from gateway.upstream import Origin, UpstreamConnectionError, UpstreamPool, UpstreamProtocolError

# One scripted connection: reads requests, writes what it wants, returns to close; its number counts from 1.
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The head of one request (these tests send no bodies)."""
    return await reader.readuntil(b"\r\n\r\n")


@asynccontextmanager
async def upstream(script: Script) -> AsyncIterator[str]:
    """A loopback server running ``script(reader, writer, connection_number)`` per connection."""
    count = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        count += 1
        try:
            await script(reader, writer, count)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


def pool(read_timeout: float = 2.0) -> UpstreamPool:
    return UpstreamPool(
        limit=8,
        limit_per_host=4,
        keepalive_seconds=4.0,
        connect_timeout=1.0,
        acquire_timeout=1.0,
        read_timeout=read_timeout,
    )


async def fetch(client: UpstreamPool, base: str, method: str = "GET") -> tuple[int, bytes]:
    response = await client.request(Origin(base), method, b"/x", [(b"x-test", b"1")])
    body = b""
    while chunk := await response.read():
        body += chunk
    response.release()
    return response.status, body


async def test_keep_alive_reuses_one_connection_and_sends_the_head_as_given() -> None:
    heads: list[bytes] = []
    connections: list[int] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        connections.append(n)
        while True:
            heads.append(await read_request(reader))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()

    async with upstream(script) as base:
        client = pool()
        assert await fetch(client, base) == (200, b"ok")
        assert await fetch(client, base) == (200, b"ok")
        await client.close()
    assert connections == [1], "the second request reused the first connection"
    host = base.removeprefix("http://").encode()
    assert heads[0] == b"GET /x HTTP/1.1\r\nhost: " + host + b"\r\nx-test: 1\r\n\r\n"


async def test_a_kept_alive_connection_closed_by_the_upstream_is_replaced_for_a_read() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n" + str(n).encode())
        await writer.drain()
        if n == 1:  # reads the next request, then hangs up without an answer (a keep-alive race)
            await read_request(reader)
            return
        await read_request(reader)

    async with upstream(script) as base:
        client = pool()
        assert await fetch(client, base) == (200, b"1")
        assert await fetch(client, base) == (200, b"2"), "sent again on a new connection"
        await client.close()


async def test_a_write_on_a_connection_that_ends_is_not_sent_again() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        await read_request(reader)  # the POST arrives, and the connection ends without an answer

    async with upstream(script) as base:
        client = pool()
        assert await fetch(client, base) == (200, b"")
        with pytest.raises(UpstreamConnectionError):
            await fetch(client, base, "POST")
        await client.close()


async def test_informational_answers_are_skipped_and_a_body_without_length_ends_with_the_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nx-final: yes\r\n\r\npart one, ")
        await writer.drain()
        writer.write(b"part two")
        await writer.drain()

    async with upstream(script) as base:
        client = pool()
        response = await client.request(Origin(base), "GET", b"/x", [])
        assert response.status == 200
        assert response.headers == [(b"x-final", b"yes")]
        body = b""
        while chunk := await response.read():
            body += chunk
        assert body == b"part one, part two"
        assert response.at_eof()
        response.release()
        await client.close()


async def test_head_answers_have_no_body_and_chunked_bodies_are_decoded() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            head = await read_request(reader)
            if head.startswith(b"HEAD"):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            await writer.drain()

    async with upstream(script) as base:
        client = pool()
        assert await fetch(client, base, "HEAD") == (200, b"")
        assert await fetch(client, base) == (200, b"abcde")
        await client.close()


async def test_a_response_that_is_not_http_fails_and_a_silent_upstream_times_out() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        await reader.read()

    async with upstream(garbage) as base:
        client = pool()
        with pytest.raises(UpstreamProtocolError):
            await fetch(client, base)
        await client.close()
    async with upstream(silent) as base:
        client = pool(read_timeout=0.3)
        with pytest.raises(TimeoutError):
            await fetch(client, base)
        await client.close()


async def test_callers_beyond_the_per_host_limit_wait_for_a_connection() -> None:
    gate = asyncio.Event()
    connections: list[int] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        connections.append(n)
        while True:
            await read_request(reader)
            await gate.wait()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()

    async with upstream(script) as base:
        client = pool()
        calls = [asyncio.ensure_future(fetch(client, base)) for _ in range(10)]
        await asyncio.sleep(0.2)
        assert len(connections) == 4, "no more than limit_per_host connections"
        gate.set()
        assert await asyncio.gather(*calls) == [(200, b"ok")] * 10
        await client.close()
