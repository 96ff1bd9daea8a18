"""Embedded single-machine event log: one SQLite file in WAL mode shared by the processes of a machine.

It keeps Kafka's semantics where our code depends on them: an append-only log per topic, consumer groups
with committed offsets that survive restarts, commit after handling, and one active member per group and
topic at a time (a lease, as if every topic had a single partition, which also keeps order per key).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from gov_common.bus.base import Consumer, EventBus, Record
from gov_common.events import Headers

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    offset INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB,
    value BLOB,
    headers TEXT NOT NULL,
    appended_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_record_topic_offset ON record (topic, offset);
CREATE TABLE IF NOT EXISTS group_offset (
    grp TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (grp, topic)
);
CREATE TABLE IF NOT EXISTS group_lease (
    grp TEXT NOT NULL, topic TEXT NOT NULL, owner TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (grp, topic)
);
"""

LEASE_SECONDS = 10.0


def _encode_headers(headers: Headers) -> str:
    return json.dumps([[k, v.decode("utf-8", "surrogateescape")] for k, v in headers], ensure_ascii=False)


def _decode_headers(raw: str) -> Headers:
    return [(k, v.encode("utf-8", "surrogateescape")) for k, v in json.loads(raw)]


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, timeout=30, isolation_level=None)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA busy_timeout=30000")
    await conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes, see gov_common.db
    return conn


class EmbeddedBus(EventBus):
    def __init__(self, path: Path | str, *, poll_interval: float = 0.05) -> None:
        self.path = Path(path)
        self.poll_interval = poll_interval
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if self._conn is not None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await _connect(self.path)
            await conn.executescript(SCHEMA)
            self._conn = conn

    async def stop(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            await self.start()
        assert self._conn is not None
        return self._conn

    async def publish_records(self, topic: str, records: Sequence[tuple[bytes | None, bytes, Headers]]) -> None:
        conn = await self._connection()
        now = time.time()
        rows = [(topic, key, value, _encode_headers(headers), now) for key, value, headers in records]
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.executemany(
                    "INSERT INTO record (topic, key, value, headers, appended_at) VALUES (?, ?, ?, ?, ?)", rows
                )
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise

    async def ping(self) -> None:
        if not self.path.parent.is_dir() or not os.access(self.path.parent, os.W_OK):
            raise RuntimeError(f"event log folder {self.path.parent} is not writable")
        conn = await self._connection()
        async with conn.execute("SELECT 1") as cur:
            await cur.fetchone()

    async def lag(self, group: str, topics: Sequence[str]) -> dict[tuple[str, int], int]:
        """Records of each topic at or after the group's offset (offsets are global here, so the end offset
        minus the group's would count other topics' records too); one partition, 0."""
        conn = await self._connection()
        lag = {}
        for topic in topics:
            async with (
                self._lock,
                conn.execute(
                    """
                SELECT COUNT(*) FROM record
                WHERE topic = ? AND offset >= COALESCE(
                    (SELECT next_offset FROM group_offset WHERE grp = ? AND topic = ?), 0)
                """,
                    (topic, group, topic),
                ) as cur,
            ):
                row = await cur.fetchone()
            lag[(topic, 0)] = int(row[0]) if row else 0
        return lag


@dataclass
class _Lease:
    """This member's hold on one topic of its group: renewed at ``renew_at``, or ``lost`` to another."""

    topic: str
    renew_at: float
    lost: bool = False


class EmbeddedConsumer(Consumer):
    bus: EmbeddedBus

    def __init__(self, bus: EmbeddedBus, **kwargs: Any) -> None:
        super().__init__(bus, **kwargs)
        self.member_id = str(uuid.uuid4())
        self._conn: aiosqlite.Connection | None = None
        self._lease = _Lease("", 0.0, lost=True)  # the one being consumed
        self._leases: dict[str, _Lease] = {}

    async def _open(self) -> None:
        await self.bus.start()  # creates the schema
        self._conn = await _connect(self.bus.path)

    async def _close(self) -> None:
        self._leases.clear()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await self._write(
                    conn, "DELETE FROM group_lease WHERE grp = ? AND owner = ?", (self.group, self.member_id)
                )
            finally:
                await conn.close()

    @staticmethod
    async def _write(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> int:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            cur = await conn.execute(sql, params)
            await conn.execute("COMMIT")
            return cur.rowcount
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    async def _hold_lease(self, conn: aiosqlite.Connection, topic: str) -> bool:
        now = time.time()
        changed = await self._write(
            conn,
            """
            INSERT INTO group_lease (grp, topic, owner, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (grp, topic) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE group_lease.owner = excluded.owner OR group_lease.expires_at < ?
            """,
            (self.group, topic, self.member_id, now + LEASE_SECONDS, now),
        )
        return changed > 0

    async def _read(self, conn: aiosqlite.Connection, topic: str, limit: int = 500) -> list[Record]:
        async with conn.execute(
            """
            SELECT offset, key, value, headers FROM record
            WHERE topic = ? AND offset >= COALESCE(
                (SELECT next_offset FROM group_offset WHERE grp = ? AND topic = ?), 0)
            ORDER BY offset LIMIT ?
            """,
            (topic, self.group, topic, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [Record(topic, 0, r[0], r[1], r[2], _decode_headers(r[3])) for r in rows]

    async def _commit(self, conn: aiosqlite.Connection, topic: str, next_offset: int) -> None:
        await self._write(
            conn,
            """
            INSERT INTO group_offset (grp, topic, next_offset) VALUES (?, ?, ?)
            ON CONFLICT (grp, topic) DO UPDATE SET next_offset = excluded.next_offset
            """,
            (self.group, topic, next_offset),
        )

    async def _may_go_on(self, last_handled: Record | None) -> bool:
        """Renew the lease on the topic when half of it has passed, committing first so that a member that
        takes over starts after our work; False once another member holds it (commit nothing more then)."""
        lease, conn = self._lease, self._conn
        if lease.lost:
            return False
        if time.monotonic() <= lease.renew_at or conn is None:
            return True
        if last_handled is not None:
            await self._commit(conn, lease.topic, last_handled.offset + 1)
        if not await self._hold_lease(conn, lease.topic):
            lease.lost = True
            return False
        lease.renew_at = time.monotonic() + LEASE_SECONDS / 2
        return True

    async def _lease_on(self, conn: aiosqlite.Connection, topic: str) -> bool:
        """Whether this member holds ``topic``'s lease, taken or renewed only when it has none or half of it
        has passed (an idle poll then writes nothing to the log)."""
        lease = self._leases.get(topic)
        if lease is None or lease.lost or time.monotonic() > lease.renew_at:
            if not await self._hold_lease(conn, topic):
                self._leases.pop(topic, None)
                return False
            lease = self._leases[topic] = _Lease(topic, time.monotonic() + LEASE_SECONDS / 2)
        self._lease = lease
        return True

    async def _run(self) -> None:
        if self._conn is None:
            await self._open()
        conn = self._conn
        assert conn is not None
        try:
            while not self.stopping:
                busy = False
                for topic in self.topics:
                    if self.stopping or not await self._lease_on(conn, topic):
                        continue
                    done: int | None = None
                    try:
                        records = await self._read(conn, topic)
                        handled = await self.process_many(records)  # renews the lease on the way
                        if handled:
                            done = records[handled - 1].offset
                    finally:
                        if done is not None and not self._lease.lost:
                            await self._commit(conn, topic, done + 1)
                            busy = True
                if not busy:
                    await self._sleep(self.bus.poll_interval)
        except (sqlite3.Error, ValueError):
            await self._close()
            raise


EmbeddedBus.consumer_class = EmbeddedConsumer
