"""The cache of published answers without a database: bounds, expiry, the race with a local change,
shared loads, and If-None-Match parsing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from catalog.caching import PublishedCache, not_modified, published, strong_etag


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _cache(clock: Clock, max_entries: int = 3, ttl: float = 2.0) -> PublishedCache:
    def no_database() -> Any:
        raise AssertionError("the test loads nothing from a database")

    return PublishedCache(no_database, max_entries=max_entries, ttl=ttl, max_age=5, clock=clock)  # type: ignore[arg-type]


def test_final_versions_are_kept_until_the_least_recently_used_make_room() -> None:
    cache = _cache(Clock(), max_entries=2)
    ticket = cache.ticket()
    for version in (1, 2):
        cache.store("item", "A", published(b"{}", version=version, final=True), ticket)
    assert cache.version("item", "A", 1) is not None  # 1 is now the most recently used
    cache.store("item", "A", published(b"{}", version=3, final=True), ticket)
    assert cache.version("item", "A", 2) is None, "the least recently used went"
    assert cache.version("item", "A", 1) is not None and cache.version("item", "A", 3) is not None
    cache.forget("item", "A")
    assert cache.version("item", "A", 1) is not None, "a final version stays across a change of the current"


def test_the_current_version_expires_ttl_after_the_read_began() -> None:
    clock = Clock()
    cache = _cache(clock)
    ticket = cache.ticket()
    clock.now = 1.5  # the database answered 1.5 s after the read began
    answer = published(b'{"version":1}', version=1, final=False)
    cache.store("item", "A", answer, ticket)
    assert cache.current("item", "A") is answer and cache.version("item", "A", 1) is answer
    assert cache.version("item", "A", 2) is None
    clock.now = 2.0
    assert cache.current("item", "A") is None, "2 s after the read began, not after it was stored"
    assert cache.current_cache_control == "public, max-age=5"


def test_a_read_that_began_before_a_local_change_is_not_kept() -> None:
    cache = _cache(Clock())
    before = cache.ticket()
    cache.forget("item", "A")  # a publish committed while the read was under way
    cache.store("item", "A", published(b"{}", version=1, final=False), before)
    assert cache.current("item", "A") is None
    cache.store("item", "A", published(b"{}", version=1, final=False), cache.ticket())
    assert cache.current("item", "A") is not None
    cache.forget("item", "A")
    assert cache.current("item", "A") is None


async def test_concurrent_misses_share_one_load_and_a_change_starts_a_new_one() -> None:
    cache = _cache(Clock())
    loads: list[int] = []
    release = asyncio.Event()

    async def load() -> Any:
        loads.append(1)
        number = len(loads)
        await release.wait()
        return published(b"{}", version=number, final=False)

    waiting = [asyncio.create_task(cache.load_once(("item", "A"), load)) for _ in range(5)]
    await asyncio.sleep(0)
    cache.forget("item", "A")  # a caller after the change must not join the load that began before it
    after = asyncio.create_task(cache.load_once(("item", "A"), load))
    await asyncio.sleep(0)
    release.set()
    first = await asyncio.gather(*waiting)
    assert len(loads) == 2 and {a.version for a in first} == {1}
    assert (await after).version == 2


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"v1-abc"', True),
        ('W/"v1-abc"', True),
        ('"x", "v1-abc"', True),
        ('"x",W/"v1-abc" ', True),
        ("*", True),
        ("v1-abc", False),
        ('"v1-abc', False),
        ('"v1-"abc"', False),
        ('"v1-abcd"', False),
        (",,", False),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert not_modified(header, '"v1-abc"') is matches


def test_the_etag_names_the_version_and_the_bytes() -> None:
    assert strong_etag(b"{}", 3).startswith('"v3-') and strong_etag(b"{}", 3) == strong_etag(b"{}", 3)
    assert strong_etag(b"{}", 3) != strong_etag(b"{ }", 3)
