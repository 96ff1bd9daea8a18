"""Published versions served from memory, as ready-to-send bodies with strong ETags, and conditional GETs.

What is kept, per process, and why it stays correct with several processes (uvicorn workers, replicas):

- A version that can never change again (``final``: withdrawn, or published and superseded by a newer
  version) is kept until the least recently used entries make room (``max_entries``): nothing can make it
  stale, whichever process changed the database.
- The version current now (the answer of ``/{code}`` and of ``/{code}/versions/{current}``) can change in
  any process (publish, withdraw), so it is kept for ``ttl`` seconds, counted from before the database was
  read: a change made anywhere is served by every process at most ``ttl`` seconds after its commit. A
  change made in this process is served at once (:meth:`PublishedCache.forget_after_commit`).
- A read that began before a change committed here never stores what it read (an epoch counts changes).
- Concurrent misses of one key share one load, so an expiry under load costs one query, not one per caller.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# A final version's answer never changes: HTTP caches may keep it a year without asking again.
FINAL_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Drafts and submitted versions are for the staff who asked, and change while drafted.
PRIVATE_CACHE_CONTROL = "private, no-store"
JSON = "application/json"
K = TypeVar("K")
V = TypeVar("V")
# Declared on the conditional reads, so that the OpenAPI document says what a client may send and get.
CONDITIONAL_GET: dict[str, object] = {
    "parameters": [
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "an ETag of an earlier answer: 304 without a body while it is still the answer",
        }
    ]
}
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Not Modified: the If-None-Match tag is still the answer's ETag (no body)"}
}


@dataclass(frozen=True, slots=True)
class Published:
    """The public answer about one published or withdrawn version, ready to send."""

    version: int
    body: bytes
    etag: str
    final: bool  # withdrawn, or superseded by a newer published version: it never changes again


def json_bytes(model: BaseModel) -> bytes:
    """``model`` as JSON, once: no second validation pass as a ``response_model`` would make."""
    return model.__pydantic_serializer__.to_json(model)


def strong_etag(body: bytes, version: int) -> str:
    """A strong ETag: the version and a hash of the exact bytes (the same in every process)."""
    return f'"v{version}-{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def published(body: bytes, *, version: int, final: bool) -> Published:
    return Published(version=version, body=body, etag=strong_etag(body, version), final=final)


def _tags(header: str) -> list[str]:
    """The opaque tags of an If-None-Match value (RFC 9110 section 13.1.2), weak ones without their ``W/``;
    a malformed member is skipped (it matches nothing)."""
    tags: list[str] = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == '"' and tag[-1] == '"' and '"' not in tag[1:-1]:
            tags.append(tag)
    return tags


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether a GET with this If-None-Match is answered 304 (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in _tags(if_none_match)


def answer(if_none_match: str | None, body: bytes, etag: str, cache_control: str, status_code: int = 200) -> Response:
    """The 200 with ``body``, or a 304 carrying the same ETag and Cache-Control and no body."""
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type=JSON, headers=headers)


def send(model: BaseModel, status_code: int = 200) -> Response:
    """A JSON answer serialised once (the route's ``response_model`` still documents it)."""
    return Response(json_bytes(model), status_code=status_code, media_type=JSON)


Loader = Callable[[AsyncSession], Awaitable[Published | None]]


@dataclass(frozen=True, slots=True)
class _Current:
    published: Published
    expires: float


@dataclass(frozen=True, slots=True)
class Ticket:
    """Taken before reading the database: when, and how many changes this process had committed then."""

    epoch: int
    started: float


class PublishedCache:
    """Public answers of published versions, per kind (``item``, ``bundle``) and code; one per app."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        max_entries: int,
        ttl: float,
        max_age: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions  # read sessions (no transaction), for misses
        self.max_entries = max_entries
        self.ttl = ttl
        # What HTTP caches are told about an answer that can still change (the current version).
        self.current_cache_control = f"public, max-age={max_age}"
        self._clock = clock
        self._final: OrderedDict[tuple[str, str, int], Published] = OrderedDict()
        self._current: OrderedDict[tuple[str, str], _Current] = OrderedDict()
        self._loading: dict[tuple[str, str] | tuple[str, str, int], asyncio.Task[Published | None]] = {}
        self._epoch = 0

    def ticket(self) -> Ticket:
        return Ticket(self._epoch, self._clock())

    def current(self, kind: str, code: str) -> Published | None:
        """The current version's answer, while it is at most ``ttl`` old."""
        entry = self._current.get((kind, code))
        if entry is None:
            return None
        if entry.expires <= self._clock():
            del self._current[(kind, code)]
            return None
        self._current.move_to_end((kind, code))
        return entry.published

    def version(self, kind: str, code: str, version: int) -> Published | None:
        """A version's answer: a final one, or the current one while fresh."""
        final = self._final.get((kind, code, version))
        if final is not None:
            self._final.move_to_end((kind, code, version))
            return final
        current = self.current(kind, code)
        return current if current is not None and current.version == version else None

    def store(self, kind: str, code: str, answer: Published, ticket: Ticket) -> None:
        """Keep what was read after ``ticket`` was taken: a final version for good, the current one for
        ``ttl`` from then; nothing when this process committed a change of anything meanwhile."""
        if answer.final:
            self._put(self._final, (kind, code, answer.version), answer)
        elif ticket.epoch == self._epoch:
            self._put(self._current, (kind, code), _Current(answer, ticket.started + self.ttl))

    def _put(self, entries: OrderedDict[K, V], key: K, value: V) -> None:
        entries[key] = value
        entries.move_to_end(key)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)

    def forget(self, kind: str, code: str) -> None:
        """``code``'s current version changed (committed): read it again next time."""
        self._epoch += 1
        self._current.pop((kind, code), None)
        # A load that began before the commit may return the old answer: later callers start their own.
        for key in [k for k in self._loading if k[:2] == (kind, code)]:
            del self._loading[key]

    def forget_after_commit(self, session: AsyncSession, kind: str, code: str) -> None:
        """Forget ``code`` when ``session`` commits (not before: a read meanwhile would find the old one)."""
        event.listen(session.sync_session, "after_commit", lambda _s: self.forget(kind, code), once=True)

    async def current_answer(self, kind: str, code: str, load: Loader) -> Published | None:
        """The answer about ``code``'s current version (None: none is published), from memory or read by
        ``load`` in a session of its own, once for all who ask meanwhile."""
        return self.current(kind, code) or await self.load_once((kind, code), lambda: self._fill(kind, code, load))

    async def version_answer(self, kind: str, code: str, version: int, load: Loader) -> Published | None:
        """The public answer about one version (None: it is not published nor withdrawn, or it does not exist)."""
        found = self.version(kind, code, version)
        if found is not None:
            return found
        return await self.load_once((kind, code, version), lambda: self._fill(kind, code, load))

    async def _fill(self, kind: str, code: str, load: Loader) -> Published | None:
        ticket = self.ticket()
        async with self.sessions() as session:
            found = await load(session)
        if found is not None:
            self.store(kind, code, found, ticket)
        return found

    async def load_once(
        self, key: tuple[str, str] | tuple[str, str, int], load: Callable[[], Awaitable[Published | None]]
    ) -> Published | None:
        """``load()``, shared by concurrent callers of the same ``key`` (kind, code[, version]); a caller that
        goes away leaves it running for the others."""
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(load())
            self._loading[key] = task
            task.add_done_callback(lambda done: self._loaded(key, done))
        return await asyncio.shield(task)

    def _loaded(self, key: tuple[str, str] | tuple[str, str, int], task: asyncio.Task[Published | None]) -> None:
        if self._loading.get(key) is task:
            del self._loading[key]


def reads(request: Request) -> PublishedCache:
    """The app's cache of published answers (made by ``catalog.main.create_app``)."""
    cache: PublishedCache = request.app.state.published
    return cache


async def version_response(
    request: Request,
    kind: str,
    code: str,
    version: int,
    *,
    public: Loader,
    unpublished: Callable[[AsyncSession], Awaitable[tuple[BaseModel, int]]],
) -> Response:
    """One version of an item or bundle: a published or withdrawn one from the cache, cacheable by anyone
    (``immutable`` once superseded); a draft or submitted one read by ``unpublished`` (the answer and its version;
    it refuses who may not see it: the region's catalog staff only), ``private, no-store``."""
    cache = reads(request)
    if_none_match = request.headers.get("if-none-match")
    found = await cache.version_answer(kind, code, version, public)
    if found is not None:
        control = FINAL_CACHE_CONTROL if found.final else cache.current_cache_control
        return answer(if_none_match, found.body, found.etag, control)
    async with cache.sessions() as session:
        model, row_version = await unpublished(session)
    body = json_bytes(model)
    return answer(if_none_match, body, strong_etag(body, row_version), PRIVATE_CACHE_CONTROL)
