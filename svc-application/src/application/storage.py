"""Where material files go (a storage interface: a local folder by default, S3-compatible in production),
how their type is decided (by content, never by name) and the virus-scanning hook."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio
import filetype
from fastapi import UploadFile

from application.errors import MaterialInfected, MaterialTooLarge, MaterialTypeRefused

CHUNK = 64 * 1024
_made: set[Path] = set()  # scratch folders known to exist
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Storage(Protocol):
    async def put(self, sha256: str, path: Path) -> None:
        """Keep the file at ``path`` under its content hash (idempotent: the same content is kept once)."""

    async def exists(self, sha256: str) -> bool: ...

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The kept file's content in chunks, to stream; raises ``FileNotFoundError`` here, before the
        first chunk, when nothing is kept under ``sha256``."""
        ...


class LocalStorage:
    """Files under a folder, named by their SHA-256 (content-addressed: the same content stored once)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):  # the name is a digest, never a path
            raise ValueError("not a SHA-256 in hex")
        return self.root / sha256[:2] / sha256

    async def put(self, sha256: str, path: Path) -> None:
        target = self.path_of(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # atomic within one file system: a reader never sees half a file

    async def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        file = await anyio.open_file(self.path_of(sha256), "rb")

        async def chunks() -> AsyncIterator[bytes]:
            async with file:
                while chunk := await file.read(CHUNK):
                    yield chunk

        return chunks()


class VirusScanner(Protocol):
    async def scan(self, path: Path) -> str | None:
        """``None`` when clean, else the name of what was found."""


class NoScanner:
    """No scanning (development). Production plugs in a scanner (e.g. clamd) through the same interface."""

    async def scan(self, path: Path) -> str | None:
        return None


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str


def sniff(head: bytes) -> str | None:
    """The media type read from the file's magic numbers; ``None`` when unknown."""
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


async def receive(
    upload: UploadFile,
    *,
    storage: Storage,
    scanner: VirusScanner,
    max_bytes: int,
    allowed: tuple[str, ...],
    scratch: Path,
) -> StoredFile:
    """Read an upload into a scratch file (refusing it past ``max_bytes``), decide its type by content,
    scan it, and keep it under its SHA-256."""
    if scratch not in _made:  # once per folder and process, not a thread hop per upload
        await asyncio.to_thread(scratch.mkdir, parents=True, exist_ok=True)
        _made.add(scratch)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, name = tempfile.mkstemp(dir=scratch, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise MaterialTooLarge(f"a material may have at most {max_bytes} bytes", max_bytes=max_bytes)
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        media_type = sniff(head)
        if media_type not in allowed:
            raise MaterialTypeRefused(
                f"the content is {media_type or 'of an unknown type'}; accepted: {', '.join(allowed)}",
                detected=media_type,
                accepted=list(allowed),
            )
        found = await scanner.scan(path)
        if found is not None:
            raise MaterialInfected(f"the scanner found {found}")
        sha = digest.hexdigest()
        await storage.put(sha, path)
        return StoredFile(sha256=sha, size=size, media_type=media_type)
    finally:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 -- one unlink of a temp file, cheaper than a thread hop
