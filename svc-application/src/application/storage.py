"""Where material files go (gov_common.storage: a local folder by default, an S3-compatible object store in
production), how their type is decided (by content, never by name) and the virus-scanning hook."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filetype
from fastapi import UploadFile

from application.errors import MaterialInfected, MaterialTooLarge, MaterialTypeRefused
from gov_common.storage import LocalStorage, S3Storage, Storage

__all__ = ["LocalStorage", "NoScanner", "S3Storage", "Storage", "StoredFile", "VirusScanner", "receive", "sniff"]

CHUNK = 64 * 1024
_made: set[Path] = set()  # scratch folders known to exist


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
